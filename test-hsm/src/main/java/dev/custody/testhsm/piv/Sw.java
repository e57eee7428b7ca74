package dev.custody.testhsm.piv;

/** ISO 7816-4 status words the emulated card answers with (the ones a YubiKey uses for PIV). */
public final class Sw {
    public static final int OK = 0x9000;
    /** {@code 61XX}: more response data; fetch it with GET RESPONSE. */
    public static final int MORE_DATA = 0x6100;
    /** {@code 63CX}: wrong PIN or PUK, X tries left. */
    public static final int WRONG_PIN = 0x63C0;

    public static final int WRONG_LENGTH = 0x6700;
    public static final int SECURITY_STATUS_NOT_SATISFIED = 0x6982;
    public static final int AUTH_BLOCKED = 0x6983;
    public static final int CONDITIONS_NOT_SATISFIED = 0x6985;
    public static final int INCORRECT_DATA = 0x6A80;
    public static final int FILE_NOT_FOUND = 0x6A82;
    public static final int INCORRECT_P1P2 = 0x6A86;
    public static final int REFERENCE_NOT_FOUND = 0x6A88;
    public static final int WRONG_P1P2 = 0x6B00;
    public static final int INS_NOT_SUPPORTED = 0x6D00;
    public static final int CLA_NOT_SUPPORTED = 0x6E00;

    private Sw() {}

    /** The status word at the end of a response APDU. */
    public static int of(byte[] response) {
        if (response.length < 2) {
            throw new IllegalArgumentException("a response APDU has at least 2 bytes");
        }
        return ((response[response.length - 2] & 0xFF) << 8) | (response[response.length - 1] & 0xFF);
    }

    public static String hex(int sw) {
        return String.format("%04X", sw);
    }
}
