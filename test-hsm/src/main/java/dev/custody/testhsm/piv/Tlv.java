package dev.custody.testhsm.piv;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The small part of BER-TLV that PIV uses: one- or two-byte tags, definite lengths up to 0xFFFF
 * (short form, {@code 81 LL}, {@code 82 LL LL}).
 */
final class Tlv {
    private Tlv() {}

    /** {@code tag || length || value}; a tag above 0xFF is written as two bytes. */
    static byte[] of(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
        if (tag > 0xFF) {
            out.write(tag >> 8);
        }
        out.write(tag & 0xFF);
        writeLength(out, value.length);
        out.writeBytes(value);
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static void writeLength(ByteArrayOutputStream out, int length) {
        if (length < 0x80) {
            out.write(length);
        } else if (length <= 0xFF) {
            out.write(0x81);
            out.write(length);
        } else if (length <= 0xFFFF) {
            out.write(0x82);
            out.write(length >> 8);
            out.write(length & 0xFF);
        } else {
            throw new IllegalArgumentException("TLV value too long: " + length);
        }
    }

    /**
     * Parses a sequence of TLVs with one-byte tags into tag → value (first occurrence wins).
     *
     * @throws IllegalArgumentException if the encoding is truncated or uses an unsupported length form
     */
    static Map<Integer, byte[]> parse(byte[] data, int offset, int end) {
        Map<Integer, byte[]> out = new LinkedHashMap<>();
        int p = offset;
        while (p < end) {
            int tag = data[p++] & 0xFF;
            int[] len = readLength(data, p, end);
            p = len[1];
            if (p + len[0] > end) {
                throw new IllegalArgumentException("TLV " + Integer.toHexString(tag) + " runs past the end");
            }
            out.putIfAbsent(tag, Arrays.copyOfRange(data, p, p + len[0]));
            p += len[0];
        }
        return out;
    }

    /** {length, offset after the length bytes}. */
    static int[] readLength(byte[] data, int p, int end) {
        if (p >= end) {
            throw new IllegalArgumentException("TLV length missing");
        }
        int first = data[p++] & 0xFF;
        if (first < 0x80) {
            return new int[] {first, p};
        }
        int n = first & 0x7F;
        if (n == 0 || n > 2 || p + n > end) {
            throw new IllegalArgumentException("unsupported TLV length form 0x" + Integer.toHexString(first));
        }
        int len = 0;
        for (int i = 0; i < n; i++) {
            len = (len << 8) | (data[p++] & 0xFF);
        }
        return new int[] {len, p};
    }
}
