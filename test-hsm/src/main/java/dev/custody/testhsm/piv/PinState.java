package dev.custody.testhsm.piv;

import static dev.custody.testhsm.piv.Responses.ok;
import static dev.custody.testhsm.piv.Responses.sw;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The PIN and PUK of an emulated PIV card: their values, retry counters and default flags (these survive
 * a reset), and whether the PIN is verified in this session. Handles VERIFY (20), CHANGE REFERENCE (24),
 * RESET RETRY COUNTER (2C) and GET METADATA of the PIN (80) and PUK (81). Used under {@link PivCard}'s
 * lock only.
 */
final class PinState {
    static final int PIN_REF = 0x80;
    static final int PUK_REF = 0x81;

    private final int triesTotal;
    private byte[] pin;
    private byte[] puk;
    private int pinTriesLeft;
    private int pukTriesLeft;
    private boolean pinIsDefault;
    private boolean pukIsDefault;
    private boolean verified;
    /** A VERIFY happened and no PIN-policy-ALWAYS key was used since. */
    private boolean fresh;

    PinState(String pin, String puk, int tries) {
        this.triesTotal = tries;
        this.pin = pad(pin);
        this.puk = pad(puk);
        this.pinIsDefault = pin.equals(PivCard.DEFAULT_PIN);
        this.pukIsDefault = puk.equals(PivCard.DEFAULT_PUK);
        this.pinTriesLeft = tries;
        this.pukTriesLeft = tries;
    }

    int pinTriesLeft() {
        return pinTriesLeft;
    }

    /** The PIN was verified in this session (what PIN policy ONCE needs). */
    boolean verified() {
        return verified;
    }

    /** The PIN was verified right before (what PIN policy ALWAYS needs). */
    boolean fresh() {
        return verified && fresh;
    }

    /** A PIN-policy-ALWAYS key was used: the next such signature needs another VERIFY. */
    void useFresh() {
        fresh = false;
    }

    /** A reset or another applet: the PIN is no longer verified. */
    void clear() {
        verified = false;
        fresh = false;
    }

    byte[] verify(CommandApdu c, byte[] data) {
        if (c.p1() == 0xFF && c.p2() == PIN_REF && data.length == 0) {
            clear(); // YubiKey 5: reset the verification status
            return sw(Sw.OK);
        }
        if (c.p1() != 0x00 || c.p2() != PIN_REF) {
            return sw(Sw.REFERENCE_NOT_FOUND);
        }
        if (data.length == 0) {
            if (verified) {
                return sw(Sw.OK);
            }
            return wrong(pinTriesLeft);
        }
        if (!wellFormedPin(data)) {
            return sw(Sw.INCORRECT_DATA);
        }
        if (pinTriesLeft == 0) {
            return sw(Sw.AUTH_BLOCKED);
        }
        if (!MessageDigest.isEqual(data, pin)) {
            clear();
            pinTriesLeft--;
            return wrong(pinTriesLeft);
        }
        pinTriesLeft = triesTotal;
        verified = true;
        fresh = true;
        return sw(Sw.OK);
    }

    byte[] changeReference(CommandApdu c, byte[] data) {
        if (c.p1() != 0x00 || (c.p2() != PIN_REF && c.p2() != PUK_REF)) {
            return sw(Sw.REFERENCE_NOT_FOUND);
        }
        if (!twoPins(data)) {
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
                verified = false;
            } else {
                pukTriesLeft = left;
            }
            return wrong(left);
        }
        byte[] next = Arrays.copyOfRange(data, 8, 16);
        if (isPin) {
            pin = next;
            pinTriesLeft = triesTotal;
            pinIsDefault = Arrays.equals(next, pad(PivCard.DEFAULT_PIN));
        } else {
            puk = next;
            pukTriesLeft = triesTotal;
            pukIsDefault = Arrays.equals(next, pad(PivCard.DEFAULT_PUK));
        }
        return sw(Sw.OK);
    }

    byte[] resetRetry(CommandApdu c, byte[] data) {
        if (c.p1() != 0x00 || c.p2() != PIN_REF) {
            return sw(Sw.REFERENCE_NOT_FOUND);
        }
        if (!twoPins(data)) {
            return sw(Sw.INCORRECT_DATA);
        }
        if (pukTriesLeft == 0) {
            return sw(Sw.AUTH_BLOCKED);
        }
        if (!MessageDigest.isEqual(Arrays.copyOf(data, 8), puk)) {
            pukTriesLeft--;
            return wrong(pukTriesLeft);
        }
        pukTriesLeft = triesTotal;
        pin = Arrays.copyOfRange(data, 8, 16);
        pinIsDefault = Arrays.equals(pin, pad(PivCard.DEFAULT_PIN));
        pinTriesLeft = triesTotal;
        return sw(Sw.OK);
    }

    /** GET METADATA of the PIN or PUK: default flag and retry counters. */
    byte[] metadata(int ref) {
        boolean isDefault = ref == PIN_REF ? pinIsDefault : pukIsDefault;
        int left = ref == PIN_REF ? pinTriesLeft : pukTriesLeft;
        return ok(Tlv.concat(
                Tlv.of(0x01, new byte[] {(byte) 0xFF}),
                Tlv.of(0x05, new byte[] {(byte) (isDefault ? 1 : 0)}),
                Tlv.of(0x06, new byte[] {(byte) triesTotal, (byte) left})));
    }

    /** 63CX with X tries left, or 6983 when none are. */
    private static byte[] wrong(int left) {
        return left == 0 ? sw(Sw.AUTH_BLOCKED) : sw(Sw.WRONG_PIN | left);
    }

    /** 16 bytes: the current and the new PIN (or PUK), each padded to 8. */
    private static boolean twoPins(byte[] data) {
        return data.length == 16
                && wellFormedPin(Arrays.copyOf(data, 8))
                && wellFormedPin(Arrays.copyOfRange(data, 8, 16));
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

    static void checkPinLength(String s, String what) {
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
}
