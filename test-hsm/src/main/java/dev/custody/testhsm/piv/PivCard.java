package dev.custody.testhsm.piv;

import static dev.custody.testhsm.piv.Responses.ok;
import static dev.custody.testhsm.piv.Responses.sw;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * An emulated YubiKey 5 PIV applet, at the APDU level: what Yubico's ykcs11 (through libykpiv)
 * needs from a card. Test infrastructure only; all state is in memory and goes with the object.
 *
 * <p>Call sequence: {@link #builder(int)} → {@link Builder#build()} → {@link #transmit(byte[])} for
 * each command APDU (directly in unit tests, or through vpcd via {@link YubikeyEmulator}) → the test
 * knobs ({@link #setTouchPolicy}, {@link #setTouchDelay}) and read-outs ({@link #publicKey},
 * {@link #signatures}, {@link #commandLog()}).
 *
 * <p>Implemented (YubiKey 5 behaviour, firmware {@link Builder#version} 5.4.3 by default):
 * <ul>
 * <li>SELECT (A4) of the PIV AID (a prefix of {@code A000000308 00001000 0100}); selecting the
 *     management AID {@code A000000527471117} answers 9000 and, as on a real key, clears the PIN and
 *     management-key authentication; other AIDs get 6A82.
 * <li>GET VERSION (FD), GET SERIAL (F8, the configured serial, big-endian).
 * <li>VERIFY (20) of the PIN (P2=80, 8 bytes padded with FF): wrong → 63CX, blocked after the
 *     configured tries (3) → 6983; an empty VERIFY reports the status (9000 or 63CX); P1=FF un-verifies.
 *     CHANGE REFERENCE (24) for PIN/PUK and RESET RETRY COUNTER (2C, PUK + new PIN).
 * <li>GENERAL AUTHENTICATE (87) with the management key (P1=03, P2=9B): 3DES-ECB mutual
 *     authentication in two steps, witness then challenge; a wrong key → 6982.
 * <li>GENERATE ASYMMETRIC (47) of P-256 (11) and P-384 (14) keys in 9A, 9C, 9D, 9E, 82–95, with
 *     optional PIN (AA) and touch (AB) policy; needs the management key. The key pair is made with
 *     the JDK inside this object; no APDU returns a private key, and this class has no accessor for one.
 * <li>IMPORT ASYMMETRIC KEY (FE, YubiKey extension) of P-256 (11) and P-384 (14) private scalars:
 *     P1 = algorithm, P2 = slot, data {@code 06 <scalar, left-padded to the field size>} with optional
 *     {@code AA} PIN and {@code AB} touch policy, as libykpiv's {@code ykpiv_import_private_key} sends it
 *     (chained when long); needs the management key. The card computes and keeps the public key
 *     (GET METADATA reports origin 2, imported); the scalar is never logged nor returned.
 * <li>GENERAL AUTHENTICATE (87) signing: {@code 7C {82 00, 81 <hash>}} → {@code 7C {82 <DER ECDSA>}},
 *     ECDSA over the given bytes as the digest. PIN policy NEVER / ONCE / ALWAYS (ALWAYS needs a VERIFY
 *     right before each signature; the default for 9C, as on a YubiKey), touch policy with a simulated
 *     touch delay.
 * <li>GET DATA (CB) / PUT DATA (DB, needs the management key) of data objects ({@code 5C} tag list,
 *     {@code 53} value); PUT DATA with an empty {@code 53} deletes. The discovery object 7E is there.
 * <li>Command chaining (CLA 10) for any command, response chaining (61XX + GET RESPONSE C0) for
 *     responses over 256 bytes.
 * <li>GET METADATA (F7) for key slots, 9B, the PIN (80) and PUK (81); SET MANAGEMENT KEY (FF).
 * <li>ATTEST (F9) and everything else: 6D00 (not supported), which ykcs11 handles.
 * </ul>
 *
 * <p>This class parses and dispatches APDUs (with command and response chaining) and answers SELECT,
 * GET VERSION and GET SERIAL; the card's state lives in {@link PinState} (PIN, PUK), {@link ManagementKeyAuth}
 * (9B), {@link KeySlots} (keys, signing, touch) and {@link DataObjects} (GET / PUT DATA).
 *
 * <p>Thread safe: one APDU at a time, like a card.
 */
public final class PivCard {
    /** The ATR of a YubiKey 5 (USB); ykcs11 derives the model "YK5" from it. */
    public static final byte[] ATR = HexFormat.of().parseHex("3bfd1300008131fe158073c021c05759756269" + "4b657940");
    /** The PIV application identifier (RID A000000308, PIX 00001000 0100). */
    public static final byte[] PIV_AID = HexFormat.of().parseHex("a000000308000010000100");
    /** YubiKey management application identifier. */
    public static final byte[] MGMT_AID = HexFormat.of().parseHex("a000000527471117");
    /** The well-known default management key 0102030405060708 three times. */
    public static final byte[] DEFAULT_MANAGEMENT_KEY =
            HexFormat.of().parseHex("010203040506070801020304050607080102030405060708");

    public static final String DEFAULT_PIN = "123456";
    public static final String DEFAULT_PUK = "12345678";

    /** PIV key slots (key references). */
    public static final int SLOT_AUTHENTICATION = 0x9A;

    public static final int SLOT_MANAGEMENT_KEY = 0x9B;
    public static final int SLOT_SIGNATURE = 0x9C;
    public static final int SLOT_KEY_MANAGEMENT = 0x9D;
    public static final int SLOT_CARD_AUTHENTICATION = 0x9E;
    public static final int SLOT_RETIRED_FIRST = 0x82;
    public static final int SLOT_RETIRED_LAST = 0x95;

    public static final int ALG_3DES = 0x03;
    public static final int ALG_ECCP256 = 0x11;
    public static final int ALG_ECCP384 = 0x14;

    private static final int INS_VERIFY = 0x20;
    private static final int INS_CHANGE_REFERENCE = 0x24;
    private static final int INS_RESET_RETRY = 0x2C;
    private static final int INS_GENERATE = 0x47;
    private static final int INS_AUTHENTICATE = 0x87;
    private static final int INS_SELECT = 0xA4;
    private static final int INS_GET_RESPONSE = 0xC0;
    private static final int INS_GET_DATA = 0xCB;
    private static final int INS_PUT_DATA = 0xDB;
    private static final int INS_GET_METADATA = 0xF7;
    private static final int INS_GET_SERIAL = 0xF8;
    private static final int INS_GET_VERSION = 0xFD;
    private static final int INS_SET_MGMKEY = 0xFF;
    private static final int INS_IMPORT_KEY = 0xFE;
    private static final int MAX_RESPONSE_CHUNK = 256;
    private static final int LOG_LIMIT = 20_000;

    /** PIV PIN policy of a key slot (the YubiKey values). */
    public enum PinPolicy {
        NEVER(1),
        ONCE(2),
        ALWAYS(3);

        final int code;

        PinPolicy(int code) {
            this.code = code;
        }

        static PinPolicy of(int code) {
            return byCode(values(), p -> p.code, code, "PIN policy");
        }
    }

    /** Touch policy of a key slot (the YubiKey values). CACHED: one touch covers 15 s. */
    public enum TouchPolicy {
        NEVER(1),
        ALWAYS(2),
        CACHED(3);

        final int code;

        TouchPolicy(int code) {
            this.code = code;
        }

        static TouchPolicy of(int code) {
            return byCode(values(), p -> p.code, code, "touch policy");
        }
    }

    private static <E> E byCode(E[] values, ToIntFunction<E> code, int wanted, String what) {
        for (E e : values) {
            if (code.applyAsInt(e) == wanted) {
                return e;
            }
        }
        throw new IllegalArgumentException(what + " " + wanted);
    }

    private enum Applet {
        NONE,
        PIV,
        MGMT
    }

    /** Settings of a new card. */
    public static final class Builder {
        private final int serial;
        private byte[] version = {5, 4, 3};
        private String pin = DEFAULT_PIN;
        private String puk = DEFAULT_PUK;
        private byte[] managementKey = DEFAULT_MANAGEMENT_KEY.clone();
        private int pinTries = 3;
        private Duration touchDelay = Duration.ofMillis(500);

        private Builder(int serial) {
            this.serial = serial;
        }

        /** Firmware version reported by GET VERSION; 5.x makes ykcs11 read the serial with F8. */
        public Builder version(int major, int minor, int patch) {
            this.version = new byte[] {(byte) major, (byte) minor, (byte) patch};
            return this;
        }

        /** The user PIN, 6–8 ASCII characters (default 123456). */
        public Builder pin(String pin) {
            PinState.checkPinLength(pin, "PIN");
            this.pin = pin;
            return this;
        }

        /** The PUK, 6–8 ASCII characters (default 12345678). */
        public Builder puk(String puk) {
            PinState.checkPinLength(puk, "PUK");
            this.puk = puk;
            return this;
        }

        /** The 24-byte 3DES management key (default {@link #DEFAULT_MANAGEMENT_KEY}). */
        public Builder managementKey(byte[] key) {
            if (key.length != 24) {
                throw new IllegalArgumentException("a 3DES management key has 24 bytes, got " + key.length);
            }
            this.managementKey = key.clone();
            return this;
        }

        /** PIN and PUK retry counter (default 3, as on a YubiKey). */
        public Builder pinTries(int tries) {
            if (tries < 1 || tries > 15) {
                throw new IllegalArgumentException("tries must be 1..15");
            }
            this.pinTries = tries;
            return this;
        }

        /** How long a simulated touch takes on a touch-policy slot (default 500 ms). */
        public Builder touchDelay(Duration delay) {
            this.touchDelay = delay;
            return this;
        }

        public PivCard build() {
            return new PivCard(this);
        }
    }

    private final SecureRandom random = new SecureRandom();
    private final int serial;
    private final byte[] version;

    // ---- state: the PIN, management key, keys and data objects survive resets; their
    // verification status does not ----
    private final PinState pins;
    private final ManagementKeyAuth managementKey;
    private final KeySlots keys;
    private final DataObjects objects = new DataObjects();

    private final List<String> log = new ArrayList<>();

    // ---- session state (cleared by a reset or when another applet is selected) ----
    private Applet selected = Applet.NONE;
    private ByteArrayOutputStream chainData;
    private String chainHeader;
    private byte[] pendingResponse;
    private int pendingOffset;

    private PivCard(Builder b) {
        this.serial = b.serial;
        this.version = b.version.clone();
        this.pins = new PinState(b.pin, b.puk, b.pinTries);
        this.managementKey = new ManagementKeyAuth(b.managementKey, random);
        this.keys = new KeySlots(random, b.touchDelay);
    }

    /** A new card with this serial number (as GET SERIAL and ykcs11 report it). */
    public static Builder builder(int serial) {
        if (serial <= 0) {
            throw new IllegalArgumentException("a YubiKey serial is a positive number");
        }
        return new Builder(serial);
    }

    public int serial() {
        return serial;
    }

    public byte[] atr() {
        return ATR.clone();
    }

    /** Power cycle or warm reset: no applet selected, PIN and management key no longer verified. */
    public synchronized void reset() {
        selected = Applet.NONE;
        clearSecurityStatus();
        chainData = null;
        chainHeader = null;
        pendingResponse = null;
    }

    public synchronized int pinTriesLeft() {
        return pins.pinTriesLeft();
    }

    /** The public key in a slot ({@link #SLOT_SIGNATURE} …), if one was generated. */
    public synchronized Optional<ECPublicKey> publicKey(int slot) {
        return keys.publicKey(slot);
    }

    /** The slots that hold a key. */
    public synchronized Set<Integer> slotsWithKeys() {
        return keys.slotsWithKeys();
    }

    /** Signatures made with the key in this slot since it was generated. */
    public synchronized int signatures(int slot) {
        return keys.signatures(slot);
    }

    /**
     * Sets the touch policy of a slot (ykcs11 cannot: its C_GenerateKeyPair sends no touch policy).
     * Applies to the key in the slot now and to keys generated there later without an AB tag.
     */
    public synchronized void setTouchPolicy(int slot, TouchPolicy policy) {
        keys.setTouchPolicy(slot, policy);
    }

    /** How long the next simulated touches take; 15 s or more means the touch never comes (6985). */
    public synchronized void setTouchDelay(Duration delay) {
        keys.setTouchDelay(delay);
    }

    /**
     * Every command so far as {@code CLA INS P1 P2 -> SW} in hex. Command data (PINs, keys, hashes)
     * is never recorded.
     */
    public synchronized List<String> commandLog() {
        return List.copyOf(log);
    }

    /**
     * Processes one command APDU and returns the response APDU (data and SW1 SW2).
     *
     * @throws IllegalArgumentException never: malformed APDUs get an error status word
     */
    public synchronized byte[] transmit(byte[] apdu) {
        CommandApdu c;
        try {
            c = CommandApdu.parse(apdu);
        } catch (IllegalArgumentException e) {
            record(apdu.length >= 4 ? HexFormat.of().formatHex(apdu, 0, 4).toUpperCase() : "?", Sw.WRONG_LENGTH);
            return sw(Sw.WRONG_LENGTH);
        }
        byte[] r = process(c);
        record(c.header(), Sw.of(r));
        return r;
    }

    private void record(String header, int sw) {
        if (log.size() >= LOG_LIMIT) {
            log.remove(0);
        }
        log.add(header + " -> " + Sw.hex(sw));
    }

    private byte[] process(CommandApdu c) {
        if (c.ins() != INS_GET_RESPONSE) {
            pendingResponse = null;
        }
        if ((c.cla() & ~CommandApdu.CHAINING) != 0) {
            return sw(Sw.CLA_NOT_SUPPORTED);
        }
        byte[] data = collectChain(c);
        if (data == null) {
            return sw(Sw.OK);
        }
        if (c.ins() == INS_GET_RESPONSE) {
            return getResponse();
        }
        return chunked(execute(c, data));
    }

    /**
     * ISO 7816-4 command chaining: collects the data of a chain and returns all of it with its last part;
     * null while more parts follow.
     */
    private byte[] collectChain(CommandApdu c) {
        String header = String.format("%02X%02X%02X", c.ins(), c.p1(), c.p2());
        if (chainData != null && !header.equals(chainHeader)) {
            chainData = null;
        }
        if (c.chained()) {
            if (chainData == null) {
                chainData = new ByteArrayOutputStream();
                chainHeader = header;
            }
            chainData.writeBytes(c.data());
            return null;
        }
        byte[] data = c.data();
        if (chainData != null) {
            chainData.writeBytes(data);
            data = chainData.toByteArray();
            chainData = null;
        }
        return data;
    }

    private byte[] execute(CommandApdu c, byte[] data) {
        if (c.ins() == INS_SELECT) {
            return select(c, data);
        }
        if (selected != Applet.PIV) {
            return sw(Sw.INS_NOT_SUPPORTED);
        }
        boolean mgm = managementKey.authenticated();
        try {
            return switch (c.ins()) {
                case INS_GET_VERSION -> ok(version.clone());
                case INS_GET_SERIAL ->
                    ok(new byte[] {(byte) (serial >>> 24), (byte) (serial >>> 16), (byte) (serial >>> 8), (byte) serial
                    });
                case INS_VERIFY -> pins.verify(c, data);
                case INS_CHANGE_REFERENCE -> pins.changeReference(c, data);
                case INS_RESET_RETRY -> pins.resetRetry(c, data);
                case INS_AUTHENTICATE -> authenticate(c, data);
                case INS_GENERATE -> keys.generate(c, data, mgm);
                case INS_GET_DATA -> objects.get(c, data);
                case INS_PUT_DATA -> objects.put(c, data, mgm);
                case INS_GET_METADATA -> metadata(c);
                case INS_SET_MGMKEY -> managementKey.set(c, data);
                case INS_IMPORT_KEY -> keys.importKey(c, data, mgm);
                default -> sw(Sw.INS_NOT_SUPPORTED); // ATTEST (F9), RESET (FB), …
            };
        } catch (IllegalArgumentException e) {
            return sw(Sw.INCORRECT_DATA); // malformed TLV in the command data
        }
    }

    // ---- SELECT / GET RESPONSE ----------------------------------------------------------------

    private byte[] select(CommandApdu c, byte[] aid) {
        if (c.p1() != 0x04) {
            return sw(Sw.INCORRECT_P1P2);
        }
        if (aid.length >= 5 && aid.length <= PIV_AID.length && Arrays.equals(aid, Arrays.copyOf(PIV_AID, aid.length))) {
            if (selected != Applet.PIV) {
                clearSecurityStatus();
            }
            selected = Applet.PIV;
            // application property template: PIX of the application, coexistent tag allocation authority
            byte[] apt = Tlv.of(
                    0x61,
                    Tlv.concat(
                            Tlv.of(0x4F, HexFormat.of().parseHex("000010000100")),
                            Tlv.of(0x79, Tlv.of(0x4F, Arrays.copyOf(PIV_AID, 5)))));
            return ok(apt);
        }
        if (Arrays.equals(aid, MGMT_AID)) {
            selected = Applet.MGMT;
            clearSecurityStatus();
            return ok(("Virtual mgmt. Version: " + (version[0] & 0xFF) + "." + (version[1] & 0xFF) + "."
                            + (version[2] & 0xFF))
                    .getBytes(StandardCharsets.US_ASCII));
        }
        return sw(Sw.FILE_NOT_FOUND);
    }

    private byte[] getResponse() {
        if (pendingResponse == null) {
            return sw(Sw.CONDITIONS_NOT_SATISFIED);
        }
        return nextChunk();
    }

    /** A response whose data is over 256 bytes goes out in 256-byte chunks with 61XX (GET RESPONSE). */
    private byte[] chunked(byte[] response) {
        if (response.length - 2 <= MAX_RESPONSE_CHUNK) {
            return response;
        }
        pendingResponse = Arrays.copyOf(response, response.length - 2);
        pendingOffset = 0;
        return nextChunk();
    }

    private byte[] nextChunk() {
        int n = Math.min(MAX_RESPONSE_CHUNK, pendingResponse.length - pendingOffset);
        byte[] chunk = Arrays.copyOfRange(pendingResponse, pendingOffset, pendingOffset + n);
        pendingOffset += n;
        int left = pendingResponse.length - pendingOffset;
        if (left == 0) {
            pendingResponse = null;
            return Responses.withSw(chunk, Sw.OK);
        }
        return Responses.withSw(chunk, Sw.MORE_DATA | (left > 0xFF ? 0 : left));
    }

    private void clearSecurityStatus() {
        pins.clear();
        managementKey.clear();
    }

    // ---- GENERAL AUTHENTICATE, GET METADATA ----------------------------------------------------

    private byte[] authenticate(CommandApdu c, byte[] data) {
        if (data.length < 2 || (data[0] & 0xFF) != 0x7C) {
            return sw(Sw.INCORRECT_DATA);
        }
        int[] len = Tlv.readLength(data, 1, data.length);
        Map<Integer, byte[]> t = Tlv.parse(data, len[1], Math.min(data.length, len[1] + len[0]));
        if (c.p2() == SLOT_MANAGEMENT_KEY) {
            return c.p1() == ALG_3DES || c.p1() == 0x00 ? managementKey.authenticate(t) : sw(Sw.INCORRECT_P1P2);
        }
        return keys.sign(c.p1(), c.p2(), t, pins);
    }

    private byte[] metadata(CommandApdu c) {
        int ref = c.p2();
        if (c.p1() != 0x00) {
            return sw(Sw.INCORRECT_P1P2);
        }
        if (ref == SLOT_MANAGEMENT_KEY) {
            return managementKey.metadata();
        }
        if (ref == PinState.PIN_REF || ref == PinState.PUK_REF) {
            return pins.metadata(ref);
        }
        return keys.metadata(ref);
    }

    @Override
    public String toString() {
        return "PivCard[serial=" + serial + "]";
    }
}
