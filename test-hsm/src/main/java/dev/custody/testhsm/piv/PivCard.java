package dev.custody.testhsm.piv;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

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
    /** GET METADATA origin values. */
    private static final int ORIGIN_GENERATED = 1;

    private static final int ORIGIN_IMPORTED = 2;

    private static final int PIN_REF = 0x80;
    private static final int PUK_REF = 0x81;
    /** A YubiKey gives up waiting for a touch after about 15 s. */
    private static final Duration TOUCH_TIMEOUT = Duration.ofSeconds(15);

    private static final Duration TOUCH_CACHE = Duration.ofSeconds(15);
    private static final int MAX_RESPONSE_CHUNK = 256;
    private static final int LOG_LIMIT = 20_000;

    /**
     * The discovery object a YubiKey always carries (its own tag 7E, not wrapped in 53): PIV AID and the
     * PIN usage policy.
     */
    private static final byte[] DISCOVERY = HexFormat.of().parseHex("7e124f0ba0000003080000100001005f2f024000");

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
            for (PinPolicy p : values()) {
                if (p.code == code) {
                    return p;
                }
            }
            throw new IllegalArgumentException("PIN policy " + code);
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
            for (TouchPolicy p : values()) {
                if (p.code == code) {
                    return p;
                }
            }
            throw new IllegalArgumentException("touch policy " + code);
        }
    }

    private enum Applet {
        NONE,
        PIV,
        MGMT
    }

    /** A key in a slot. The private key never leaves this object. */
    private static final class SlotKey {
        final int algorithm;
        final PrivateKey privateKey;
        final ECPublicKey publicKey;
        final int origin;
        PinPolicy pinPolicy;
        TouchPolicy touchPolicy;
        int signatures;

        SlotKey(int algorithm, KeyPair kp, PinPolicy pinPolicy, TouchPolicy touchPolicy, int origin) {
            this.algorithm = algorithm;
            this.origin = origin;
            this.privateKey = kp.getPrivate();
            this.publicKey = (ECPublicKey) kp.getPublic();
            this.pinPolicy = pinPolicy;
            this.touchPolicy = touchPolicy;
        }
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
            checkPinLength(pin, "PIN");
            this.pin = pin;
            return this;
        }

        /** The PUK, 6–8 ASCII characters (default 12345678). */
        public Builder puk(String puk) {
            checkPinLength(puk, "PUK");
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
    private final int triesTotal;

    // ---- persistent state (survives resets) ----
    private byte[] pin;
    private byte[] puk;
    private byte[] managementKey;
    private int pinTriesLeft;
    private int pukTriesLeft;
    private boolean pinIsDefault;
    private boolean pukIsDefault;
    private Duration touchDelay;
    private final Map<Integer, SlotKey> keys = new HashMap<>();
    private final Map<Integer, TouchPolicy> touchOverrides = new HashMap<>();
    /** Object id → the encoded {@code 53} TLV, as GET DATA returns it. */
    private final Map<Integer, byte[]> objects = new HashMap<>();

    private final List<String> log = new ArrayList<>();
    private long lastTouchNanos = Long.MIN_VALUE;

    // ---- session state (cleared by a reset or when another applet is selected) ----
    private Applet selected = Applet.NONE;
    private boolean pinVerified;
    /** A VERIFY happened and no PIN-policy-ALWAYS key was used since. */
    private boolean pinFresh;

    private boolean mgmAuthenticated;
    private byte[] witness;
    private ByteArrayOutputStream chainData;
    private String chainHeader;
    private byte[] pendingResponse;
    private int pendingOffset;

    private PivCard(Builder b) {
        this.serial = b.serial;
        this.version = b.version.clone();
        this.triesTotal = b.pinTries;
        this.pin = pad(b.pin);
        this.puk = pad(b.puk);
        this.pinIsDefault = b.pin.equals(DEFAULT_PIN);
        this.pukIsDefault = b.puk.equals(DEFAULT_PUK);
        this.managementKey = b.managementKey.clone();
        this.pinTriesLeft = b.pinTries;
        this.pukTriesLeft = b.pinTries;
        this.touchDelay = b.touchDelay;
        objects.put(0x7E, DISCOVERY.clone());
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
        return pinTriesLeft;
    }

    /** The public key in a slot ({@link #SLOT_SIGNATURE} …), if one was generated. */
    public synchronized Optional<ECPublicKey> publicKey(int slot) {
        return Optional.ofNullable(keys.get(slot)).map(k -> k.publicKey);
    }

    /** The slots that hold a key. */
    public synchronized Set<Integer> slotsWithKeys() {
        return Collections.unmodifiableSet(new TreeSet<>(keys.keySet()));
    }

    /** Signatures made with the key in this slot since it was generated. */
    public synchronized int signatures(int slot) {
        SlotKey k = keys.get(slot);
        return k == null ? 0 : k.signatures;
    }

    /**
     * Sets the touch policy of a slot (ykcs11 cannot: its C_GenerateKeyPair sends no touch policy).
     * Applies to the key in the slot now and to keys generated there later without an AB tag.
     */
    public synchronized void setTouchPolicy(int slot, TouchPolicy policy) {
        checkKeySlot(slot);
        touchOverrides.put(slot, policy);
        SlotKey k = keys.get(slot);
        if (k != null) {
            k.touchPolicy = policy;
        }
    }

    /** How long the next simulated touches take; 15 s or more means the touch never comes (6985). */
    public synchronized void setTouchDelay(Duration delay) {
        this.touchDelay = delay;
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
        // ISO 7816-4 command chaining: collect the data, act on the last part
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
            return sw(Sw.OK);
        }
        byte[] data = c.data();
        if (chainData != null) {
            chainData.writeBytes(data);
            data = chainData.toByteArray();
            chainData = null;
        }
        if (c.ins() == INS_SELECT) {
            return select(c, data);
        }
        if (c.ins() == INS_GET_RESPONSE) {
            return getResponse();
        }
        if (selected != Applet.PIV) {
            return sw(Sw.INS_NOT_SUPPORTED);
        }
        try {
            return switch (c.ins()) {
                case INS_GET_VERSION -> ok(version.clone());
                case INS_GET_SERIAL ->
                    ok(new byte[] {(byte) (serial >>> 24), (byte) (serial >>> 16), (byte) (serial >>> 8), (byte) serial
                    });
                case INS_VERIFY -> verify(c, data);
                case INS_CHANGE_REFERENCE -> changeReference(c, data);
                case INS_RESET_RETRY -> resetRetry(c, data);
                case INS_AUTHENTICATE -> authenticate(c, data);
                case INS_GENERATE -> generate(c, data);
                case INS_GET_DATA -> getData(c, data);
                case INS_PUT_DATA -> putData(c, data);
                case INS_GET_METADATA -> metadata(c);
                case INS_SET_MGMKEY -> setManagementKey(c, data);
                case INS_IMPORT_KEY -> importKey(c, data);
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

    /** Returns data, in 256-byte chunks with 61XX when it is longer. */
    private byte[] ok(byte[] data) {
        if (data.length <= MAX_RESPONSE_CHUNK) {
            return withSw(data, Sw.OK);
        }
        pendingResponse = data;
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
            return withSw(chunk, Sw.OK);
        }
        return withSw(chunk, Sw.MORE_DATA | (left > 0xFF ? 0 : left));
    }

    // ---- PIN / PUK ----------------------------------------------------------------------------

    private byte[] verify(CommandApdu c, byte[] data) {
        if (c.p1() == 0xFF && c.p2() == PIN_REF && data.length == 0) {
            pinVerified = false; // YubiKey 5: reset the verification status
            pinFresh = false;
            return sw(Sw.OK);
        }
        if (c.p1() != 0x00 || c.p2() != PIN_REF) {
            return sw(Sw.REFERENCE_NOT_FOUND);
        }
        if (data.length == 0) {
            if (pinVerified) {
                return sw(Sw.OK);
            }
            return pinTriesLeft == 0 ? sw(Sw.AUTH_BLOCKED) : sw(Sw.WRONG_PIN | pinTriesLeft);
        }
        if (!wellFormedPin(data)) {
            return sw(Sw.INCORRECT_DATA);
        }
        if (pinTriesLeft == 0) {
            return sw(Sw.AUTH_BLOCKED);
        }
        if (!MessageDigest.isEqual(data, pin)) {
            pinVerified = false;
            pinFresh = false;
            pinTriesLeft--;
            return pinTriesLeft == 0 ? sw(Sw.AUTH_BLOCKED) : sw(Sw.WRONG_PIN | pinTriesLeft);
        }
        pinTriesLeft = triesTotal;
        pinVerified = true;
        pinFresh = true;
        return sw(Sw.OK);
    }

    private byte[] changeReference(CommandApdu c, byte[] data) {
        if (c.p1() != 0x00 || (c.p2() != PIN_REF && c.p2() != PUK_REF)) {
            return sw(Sw.REFERENCE_NOT_FOUND);
        }
        if (data.length != 16
                || !wellFormedPin(Arrays.copyOf(data, 8))
                || !wellFormedPin(Arrays.copyOfRange(data, 8, 16))) {
            return sw(Sw.INCORRECT_DATA);
        }
        boolean isPin = c.p2() == PIN_REF;
        int left = isPin ? pinTriesLeft : pukTriesLeft;
        if (left == 0) {
            return sw(Sw.AUTH_BLOCKED);
        }
        byte[] current = isPin ? pin : puk;
        if (!MessageDigest.isEqual(Arrays.copyOf(data, 8), current)) {
            left--;
            if (isPin) {
                pinTriesLeft = left;
                pinVerified = false;
            } else {
                pukTriesLeft = left;
            }
            return left == 0 ? sw(Sw.AUTH_BLOCKED) : sw(Sw.WRONG_PIN | left);
        }
        byte[] next = Arrays.copyOfRange(data, 8, 16);
        if (isPin) {
            pin = next;
            pinTriesLeft = triesTotal;
            pinIsDefault = Arrays.equals(next, pad(DEFAULT_PIN));
        } else {
            puk = next;
            pukTriesLeft = triesTotal;
            pukIsDefault = Arrays.equals(next, pad(DEFAULT_PUK));
        }
        return sw(Sw.OK);
    }

    private byte[] resetRetry(CommandApdu c, byte[] data) {
        if (c.p1() != 0x00 || c.p2() != PIN_REF) {
            return sw(Sw.REFERENCE_NOT_FOUND);
        }
        if (data.length != 16
                || !wellFormedPin(Arrays.copyOf(data, 8))
                || !wellFormedPin(Arrays.copyOfRange(data, 8, 16))) {
            return sw(Sw.INCORRECT_DATA);
        }
        if (pukTriesLeft == 0) {
            return sw(Sw.AUTH_BLOCKED);
        }
        if (!MessageDigest.isEqual(Arrays.copyOf(data, 8), puk)) {
            pukTriesLeft--;
            return pukTriesLeft == 0 ? sw(Sw.AUTH_BLOCKED) : sw(Sw.WRONG_PIN | pukTriesLeft);
        }
        pukTriesLeft = triesTotal;
        pin = Arrays.copyOfRange(data, 8, 16);
        pinIsDefault = Arrays.equals(pin, pad(DEFAULT_PIN));
        pinTriesLeft = triesTotal;
        return sw(Sw.OK);
    }

    /** 8 bytes: 6–8 printable bytes, then FF padding. */
    private static boolean wellFormedPin(byte[] padded) {
        if (padded.length != 8) {
            return false;
        }
        int len = 0;
        while (len < 8 && padded[len] != (byte) 0xFF) {
            len++;
        }
        for (int i = len; i < 8; i++) {
            if (padded[i] != (byte) 0xFF) {
                return false;
            }
        }
        return len >= 6;
    }

    private static void checkPinLength(String s, String what) {
        if (s.length() < 6
                || s.length() > 8
                || !StandardCharsets.US_ASCII.newEncoder().canEncode(s)) {
            throw new IllegalArgumentException("a PIV " + what + " has 6 to 8 ASCII characters");
        }
    }

    private static byte[] pad(String s) {
        byte[] out = new byte[8];
        Arrays.fill(out, (byte) 0xFF);
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
    }

    private void clearSecurityStatus() {
        pinVerified = false;
        pinFresh = false;
        mgmAuthenticated = false;
        witness = null;
    }

    // ---- GENERAL AUTHENTICATE ------------------------------------------------------------------

    private byte[] authenticate(CommandApdu c, byte[] data) {
        if (data.length < 2 || (data[0] & 0xFF) != 0x7C) {
            return sw(Sw.INCORRECT_DATA);
        }
        int[] len = Tlv.readLength(data, 1, data.length);
        Map<Integer, byte[]> t = Tlv.parse(data, len[1], Math.min(data.length, len[1] + len[0]));
        if (c.p2() == SLOT_MANAGEMENT_KEY) {
            return c.p1() == ALG_3DES || c.p1() == 0x00 ? managementAuth(t) : sw(Sw.INCORRECT_P1P2);
        }
        return sign(c.p1(), c.p2(), t);
    }

    /**
     * Mutual authentication with the 3DES management key. Step 1 ({@code 80} empty): the card sends
     * E(witness). Step 2 ({@code 80} decrypted witness, {@code 81} client challenge): the card checks the
     * witness and answers {@code 82} E(challenge).
     */
    private byte[] managementAuth(Map<Integer, byte[]> t) {
        byte[] w = t.get(0x80);
        byte[] challenge = t.get(0x81);
        if (w != null && w.length == 0 && challenge == null) {
            mgmAuthenticated = false;
            witness = new byte[8];
            random.nextBytes(witness);
            return ok(Tlv.of(0x7C, Tlv.of(0x80, des(Cipher.ENCRYPT_MODE, witness))));
        }
        if (w != null && w.length == 8 && challenge != null && challenge.length == 8) {
            byte[] expected = witness;
            witness = null;
            if (expected == null || !MessageDigest.isEqual(expected, w)) {
                mgmAuthenticated = false;
                return sw(Sw.SECURITY_STATUS_NOT_SATISFIED);
            }
            mgmAuthenticated = true;
            return ok(Tlv.of(0x7C, Tlv.of(0x82, des(Cipher.ENCRYPT_MODE, challenge))));
        }
        witness = null;
        return sw(Sw.INCORRECT_DATA);
    }

    private byte[] des(int mode, byte[] block) {
        try {
            Cipher c = Cipher.getInstance("DESede/ECB/NoPadding");
            c.init(mode, new SecretKeySpec(managementKey, "DESede"));
            return c.doFinal(block);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks DESede", e);
        }
    }

    private byte[] sign(int algorithm, int slot, Map<Integer, byte[]> t) {
        SlotKey k = keys.get(slot);
        if (k == null) {
            return sw(Sw.REFERENCE_NOT_FOUND);
        }
        if (k.algorithm != algorithm) {
            return sw(Sw.INCORRECT_P1P2);
        }
        byte[] hash = t.get(0x81);
        if (hash == null || !t.containsKey(0x82) || hash.length == 0 || hash.length > fieldBytes(algorithm)) {
            return sw(Sw.INCORRECT_DATA); // ECDH (85) and decryption are not emulated
        }
        boolean pinOk = switch (k.pinPolicy) {
            case NEVER -> true;
            case ONCE -> pinVerified;
            case ALWAYS -> pinVerified && pinFresh;
        };
        if (!pinOk) {
            return sw(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        if (!touched(k.touchPolicy)) {
            return sw(Sw.CONDITIONS_NOT_SATISFIED);
        }
        if (k.pinPolicy == PinPolicy.ALWAYS) {
            pinFresh = false;
        }
        byte[] der;
        try {
            Signature s = Signature.getInstance("NONEwithECDSA");
            s.initSign(k.privateKey, random);
            s.update(hash);
            der = s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ECDSA failed in the JDK", e);
        }
        k.signatures++;
        return ok(Tlv.of(0x7C, Tlv.of(0x82, der)));
    }

    /** Simulates the user touching the key; false if the touch did not come in time. */
    private boolean touched(TouchPolicy policy) {
        if (policy == TouchPolicy.NEVER) {
            return true;
        }
        long now = System.nanoTime();
        if (policy == TouchPolicy.CACHED
                && lastTouchNanos != Long.MIN_VALUE
                && now - lastTouchNanos < TOUCH_CACHE.toNanos()) {
            return true;
        }
        boolean comes = touchDelay.compareTo(TOUCH_TIMEOUT) < 0;
        sleep(comes ? touchDelay : TOUCH_TIMEOUT);
        if (comes) {
            lastTouchNanos = System.nanoTime();
        }
        return comes;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- GENERATE ASYMMETRIC ------------------------------------------------------------------

    private byte[] generate(CommandApdu c, byte[] data) {
        int slot = c.p2();
        if (c.p1() != 0x00 || !isKeySlot(slot)) {
            return sw(Sw.INCORRECT_P1P2);
        }
        if (!mgmAuthenticated) {
            return sw(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        if (data.length < 2 || (data[0] & 0xFF) != 0xAC) {
            return sw(Sw.INCORRECT_DATA);
        }
        int[] len = Tlv.readLength(data, 1, data.length);
        Map<Integer, byte[]> t = Tlv.parse(data, len[1], Math.min(data.length, len[1] + len[0]));
        byte[] alg = t.get(0x80);
        if (alg == null || alg.length != 1) {
            return sw(Sw.INCORRECT_DATA);
        }
        int algorithm = alg[0] & 0xFF;
        String curve = switch (algorithm) {
            case ALG_ECCP256 -> "secp256r1";
            case ALG_ECCP384 -> "secp384r1";
            default -> null; // RSA is not emulated
        };
        if (curve == null) {
            return sw(Sw.INCORRECT_DATA);
        }
        Policies policies = policies(t, slot);
        if (policies == null) {
            return sw(Sw.INCORRECT_DATA);
        }
        KeyPair kp;
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve), random);
            kp = g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make " + curve + " keys", e);
        }
        SlotKey k = new SlotKey(algorithm, kp, policies.pin(), policies.touch(), ORIGIN_GENERATED);
        keys.put(slot, k);
        return ok(Tlv.of(0x7F49, Tlv.of(0x86, uncompressedPoint(k.publicKey, fieldBytes(algorithm)))));
    }

    /** The PIN and touch policy of a new key: the slot's defaults, or the AA / AB tags of the command. */
    private record Policies(PinPolicy pin, TouchPolicy touch) {}

    /** {@link Policies} from GENERATE's or IMPORT's tags; null if a tag holds no valid policy. */
    private Policies policies(Map<Integer, byte[]> t, int slot) {
        PinPolicy pin = defaultPinPolicy(slot);
        TouchPolicy touch = touchOverrides.getOrDefault(slot, TouchPolicy.NEVER);
        try {
            byte[] pp = t.get(0xAA);
            if (pp != null && pp.length == 1 && pp[0] != 0) {
                pin = PinPolicy.of(pp[0]);
            }
            byte[] tp = t.get(0xAB);
            if (tp != null && tp.length == 1 && tp[0] != 0) {
                touch = TouchPolicy.of(tp[0]);
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        return new Policies(pin, touch);
    }

    // ---- IMPORT ASYMMETRIC KEY -----------------------------------------------------------------

    /**
     * IMPORT ASYMMETRIC KEY (YubiKey extension): {@code 00 FE <alg> <slot>} with {@code 06 <scalar>}
     * [{@code AA 01 <pin policy>}] [{@code AB 01 <touch policy>}]. The scalar must be 1 ≤ d < n; the public
     * key is computed here. RSA (tags 01–05) is not emulated. The command data is wiped afterwards.
     */
    private byte[] importKey(CommandApdu c, byte[] data) {
        try {
            int slot = c.p2();
            int algorithm = c.p1();
            if (!isKeySlot(slot)) {
                return sw(Sw.INCORRECT_P1P2);
            }
            String curve = switch (algorithm) {
                case ALG_ECCP256 -> "secp256r1";
                case ALG_ECCP384 -> "secp384r1";
                default -> null; // RSA import is not emulated
            };
            if (curve == null) {
                return sw(Sw.INCORRECT_P1P2);
            }
            if (!mgmAuthenticated) {
                return sw(Sw.SECURITY_STATUS_NOT_SATISFIED);
            }
            Map<Integer, byte[]> t = Tlv.parse(data, 0, data.length);
            byte[] scalar = t.get(0x06);
            if (scalar == null || scalar.length != fieldBytes(algorithm)) {
                return sw(Sw.INCORRECT_DATA);
            }
            Policies policies = policies(t, slot);
            if (policies == null) {
                return sw(Sw.INCORRECT_DATA);
            }
            KeyPair kp;
            try {
                kp = keyPairFromScalar(curve, new BigInteger(1, scalar));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                return sw(Sw.INCORRECT_DATA); // zero or ≥ n: a YubiKey refuses it too
            } finally {
                Arrays.fill(scalar, (byte) 0);
            }
            keys.put(slot, new SlotKey(algorithm, kp, policies.pin(), policies.touch(), ORIGIN_IMPORTED));
            return sw(Sw.OK);
        } finally {
            Arrays.fill(data, (byte) 0);
        }
    }

    /**
     * The key pair of a private scalar: Q = d·G by affine double-and-add over the curve's prime field
     * (the JDK has no public point multiplication; test code, so not constant time).
     */
    private static KeyPair keyPairFromScalar(String curve, BigInteger d) throws GeneralSecurityException {
        java.security.AlgorithmParameters ap = java.security.AlgorithmParameters.getInstance("EC");
        ap.init(new ECGenParameterSpec(curve));
        java.security.spec.ECParameterSpec spec = ap.getParameterSpec(java.security.spec.ECParameterSpec.class);
        if (d.signum() <= 0 || d.compareTo(spec.getOrder()) >= 0) {
            throw new IllegalArgumentException("scalar out of range");
        }
        BigInteger p = ((java.security.spec.ECFieldFp) spec.getCurve().getField()).getP();
        BigInteger a = spec.getCurve().getA();
        java.security.spec.ECPoint q = java.security.spec.ECPoint.POINT_INFINITY;
        java.security.spec.ECPoint g = spec.getGenerator();
        for (int i = d.bitLength() - 1; i >= 0; i--) {
            q = add(q, q, p, a);
            if (d.testBit(i)) {
                q = add(q, g, p, a);
            }
        }
        java.security.KeyFactory kf = java.security.KeyFactory.getInstance("EC");
        PrivateKey priv = kf.generatePrivate(new java.security.spec.ECPrivateKeySpec(d, spec));
        java.security.PublicKey pub = kf.generatePublic(new java.security.spec.ECPublicKeySpec(q, spec));
        return new KeyPair(pub, priv);
    }

    /** Affine point addition (and doubling) on y² = x³ + ax + b over GF(p). */
    private static java.security.spec.ECPoint add(
            java.security.spec.ECPoint u, java.security.spec.ECPoint v, BigInteger p, BigInteger a) {
        if (u.equals(java.security.spec.ECPoint.POINT_INFINITY)) {
            return v;
        }
        if (v.equals(java.security.spec.ECPoint.POINT_INFINITY)) {
            return u;
        }
        BigInteger x1 = u.getAffineX();
        BigInteger y1 = u.getAffineY();
        BigInteger x2 = v.getAffineX();
        BigInteger y2 = v.getAffineY();
        BigInteger lambda;
        if (x1.equals(x2)) {
            if (!y1.equals(y2) || y1.signum() == 0) {
                return java.security.spec.ECPoint.POINT_INFINITY;
            }
            lambda = x1.pow(2)
                    .multiply(BigInteger.valueOf(3))
                    .add(a)
                    .multiply(y1.shiftLeft(1).modInverse(p))
                    .mod(p);
        } else {
            lambda = y2.subtract(y1).multiply(x2.subtract(x1).modInverse(p)).mod(p);
        }
        BigInteger x3 = lambda.pow(2).subtract(x1).subtract(x2).mod(p);
        BigInteger y3 = lambda.multiply(x1.subtract(x3)).subtract(y1).mod(p);
        return new java.security.spec.ECPoint(x3, y3);
    }

    /** The YubiKey defaults: 9C needs the PIN for every signature, 9E never, the rest once per session. */
    private static PinPolicy defaultPinPolicy(int slot) {
        return switch (slot) {
            case SLOT_SIGNATURE -> PinPolicy.ALWAYS;
            case SLOT_CARD_AUTHENTICATION -> PinPolicy.NEVER;
            default -> PinPolicy.ONCE;
        };
    }

    private static boolean isKeySlot(int slot) {
        return slot == SLOT_AUTHENTICATION
                || slot == SLOT_SIGNATURE
                || slot == SLOT_KEY_MANAGEMENT
                || slot == SLOT_CARD_AUTHENTICATION
                || (slot >= SLOT_RETIRED_FIRST && slot <= SLOT_RETIRED_LAST);
    }

    private static void checkKeySlot(int slot) {
        if (!isKeySlot(slot)) {
            throw new IllegalArgumentException("not a PIV key slot: " + Integer.toHexString(slot));
        }
    }

    private static int fieldBytes(int algorithm) {
        return algorithm == ALG_ECCP384 ? 48 : 32;
    }

    private static byte[] uncompressedPoint(ECPublicKey key, int n) {
        byte[] out = new byte[1 + 2 * n];
        out[0] = 0x04;
        fixed(key.getW().getAffineX(), out, 1, n);
        fixed(key.getW().getAffineY(), out, 1 + n, n);
        return out;
    }

    private static void fixed(BigInteger v, byte[] out, int off, int len) {
        byte[] b = v.toByteArray();
        int start = Math.max(0, b.length - len);
        System.arraycopy(b, start, out, off + len - (b.length - start), b.length - start);
    }

    // ---- GET DATA / PUT DATA ------------------------------------------------------------------

    /** The object id in a {@code 5C} tag list (1–3 bytes, e.g. 5FC10A, 7E, 7F61). */
    private static int objectId(byte[] tagList) {
        if (tagList == null || tagList.length == 0 || tagList.length > 3) {
            throw new IllegalArgumentException("bad object tag list");
        }
        int id = 0;
        for (byte b : tagList) {
            id = (id << 8) | (b & 0xFF);
        }
        return id;
    }

    private byte[] getData(CommandApdu c, byte[] data) {
        if (c.p1() != 0x3F || c.p2() != 0xFF) {
            return sw(Sw.INCORRECT_P1P2);
        }
        Map<Integer, byte[]> t = Tlv.parse(data, 0, data.length);
        byte[] value = objects.get(objectId(t.get(0x5C)));
        return value == null ? sw(Sw.FILE_NOT_FOUND) : ok(value.clone());
    }

    private byte[] putData(CommandApdu c, byte[] data) {
        if (c.p1() != 0x3F || c.p2() != 0xFF) {
            return sw(Sw.INCORRECT_P1P2);
        }
        if (!mgmAuthenticated) {
            return sw(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        // 5C <id> 53 <value>: parse by hand, the 53 value may be long
        if (data.length < 2 || (data[0] & 0xFF) != 0x5C) {
            return sw(Sw.INCORRECT_DATA);
        }
        int idLen = data[1] & 0xFF;
        if (2 + idLen >= data.length || (data[2 + idLen] & 0xFF) != 0x53) {
            return sw(Sw.INCORRECT_DATA);
        }
        int id = objectId(Arrays.copyOfRange(data, 2, 2 + idLen));
        int[] len = Tlv.readLength(data, 3 + idLen, data.length);
        if (len[1] + len[0] != data.length) {
            return sw(Sw.INCORRECT_DATA);
        }
        if (len[0] == 0) {
            objects.remove(id);
        } else {
            objects.put(id, Arrays.copyOfRange(data, 2 + idLen, data.length));
        }
        return sw(Sw.OK);
    }

    // ---- metadata, management key -------------------------------------------------------------

    private byte[] metadata(CommandApdu c) {
        int ref = c.p2();
        if (c.p1() != 0x00) {
            return sw(Sw.INCORRECT_P1P2);
        }
        if (ref == SLOT_MANAGEMENT_KEY) {
            boolean isDefault = Arrays.equals(managementKey, DEFAULT_MANAGEMENT_KEY);
            return ok(Tlv.concat(
                    Tlv.of(0x01, new byte[] {ALG_3DES}),
                    Tlv.of(0x02, new byte[] {0, 1}),
                    Tlv.of(0x05, new byte[] {(byte) (isDefault ? 1 : 0)})));
        }
        if (ref == PIN_REF || ref == PUK_REF) {
            boolean isDefault = ref == PIN_REF ? pinIsDefault : pukIsDefault;
            int left = ref == PIN_REF ? pinTriesLeft : pukTriesLeft;
            return ok(Tlv.concat(
                    Tlv.of(0x01, new byte[] {(byte) 0xFF}),
                    Tlv.of(0x05, new byte[] {(byte) (isDefault ? 1 : 0)}),
                    Tlv.of(0x06, new byte[] {(byte) triesTotal, (byte) left})));
        }
        if (!isKeySlot(ref)) {
            return sw(Sw.INCORRECT_P1P2);
        }
        SlotKey k = keys.get(ref);
        if (k == null) {
            return sw(Sw.REFERENCE_NOT_FOUND);
        }
        return ok(Tlv.concat(
                Tlv.of(0x01, new byte[] {(byte) k.algorithm}),
                Tlv.of(0x02, new byte[] {(byte) k.pinPolicy.code, (byte) k.touchPolicy.code}),
                Tlv.of(0x03, new byte[] {(byte) k.origin}), // 1 generated on the card, 2 imported
                Tlv.of(0x04, Tlv.of(0x86, uncompressedPoint(k.publicKey, fieldBytes(k.algorithm))))));
    }

    private byte[] setManagementKey(CommandApdu c, byte[] data) {
        if (c.p1() != 0xFF || (c.p2() != 0xFF && c.p2() != 0xFE)) {
            return sw(Sw.INCORRECT_P1P2);
        }
        if (!mgmAuthenticated) {
            return sw(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        if (data.length != 27 || data[0] != ALG_3DES || (data[1] & 0xFF) != SLOT_MANAGEMENT_KEY || data[2] != 24) {
            return sw(Sw.INCORRECT_DATA);
        }
        managementKey = Arrays.copyOfRange(data, 3, 27);
        return sw(Sw.OK);
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static byte[] sw(int sw) {
        return new byte[] {(byte) (sw >> 8), (byte) sw};
    }

    private static byte[] withSw(byte[] data, int sw) {
        byte[] out = Arrays.copyOf(data, data.length + 2);
        out[data.length] = (byte) (sw >> 8);
        out[data.length + 1] = (byte) sw;
        return out;
    }

    @Override
    public String toString() {
        return "PivCard[serial=" + serial + "]";
    }
}
