package dev.custody.testhsm.piv;

import java.util.Arrays;

/** Response APDUs of the emulated card: a bare status word, or data followed by one. */
final class Responses {
    private Responses() {}

    /** A response with no data. */
    static byte[] sw(int sw) {
        return new byte[] {(byte) (sw >> 8), (byte) sw};
    }

    /** {@code data} and 9000; {@link PivCard} splits it into GET RESPONSE chunks when it is long. */
    static byte[] ok(byte[] data) {
        return withSw(data, Sw.OK);
    }

    static byte[] withSw(byte[] data, int sw) {
        byte[] out = Arrays.copyOf(data, data.length + 2);
        out[data.length] = (byte) (sw >> 8);
        out[data.length + 1] = (byte) sw;
        return out;
    }
}
