package dev.custody.testhsm.piv;

import java.util.Arrays;

/**
 * A short-form command APDU: {@code CLA INS P1 P2 [Lc data] [Le]}. A 5-byte APDU has no data (its
 * fifth byte is Le, or the Lc=0 that libykpiv sends for commands without data). Extended lengths
 * are not used by ykcs11 and are refused.
 */
record CommandApdu(int cla, int ins, int p1, int p2, byte[] data) {
    /** CLA bit 0x10: more command data follows in the next APDU (ISO 7816-4 command chaining). */
    static final int CHAINING = 0x10;

    static CommandApdu parse(byte[] apdu) {
        if (apdu.length < 4) {
            throw new IllegalArgumentException("an APDU has at least 4 bytes, got " + apdu.length);
        }
        byte[] data = new byte[0];
        if (apdu.length > 5) {
            int lc = apdu[4] & 0xFF;
            if (lc == 0 || 5 + lc > apdu.length || apdu.length > 5 + lc + 1) {
                throw new IllegalArgumentException("bad Lc " + lc + " for an APDU of " + apdu.length + " bytes");
            }
            data = Arrays.copyOfRange(apdu, 5, 5 + lc);
        }
        return new CommandApdu(apdu[0] & 0xFF, apdu[1] & 0xFF, apdu[2] & 0xFF, apdu[3] & 0xFF, data);
    }

    boolean chained() {
        return (cla & CHAINING) != 0;
    }

    /** CLA INS P1 P2 in hex: what the command log keeps (never the data, which may hold a PIN). */
    String header() {
        return String.format("%02X%02X%02X%02X", cla, ins, p1, p2);
    }
}
