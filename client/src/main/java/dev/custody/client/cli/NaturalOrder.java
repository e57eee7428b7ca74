package dev.custody.client.cli;

import java.nio.charset.StandardCharsets;

/**
 * The "natural" order docker's trust tables sort tags and signers by: runs of ASCII digits compare as
 * numbers ("v2" before "v10"; with equal values the one with fewer leading zeros first), everything
 * else compares byte by byte in UTF-8, and a string that is a prefix of another comes first.
 */
final class NaturalOrder {
    private NaturalOrder() {}

    static int compare(String a, String b) {
        byte[] x = a.getBytes(StandardCharsets.UTF_8);
        byte[] y = b.getBytes(StandardCharsets.UTF_8);
        int i = 0;
        int j = 0;
        while (i < x.length && j < y.length) {
            boolean dx = digit(x[i]);
            boolean dy = digit(y[j]);
            if (dx != dy) {
                return dx ? -1 : 1; // the side whose text ended first (a digit follows) is smaller
            }
            if (!dx) {
                if (x[i] != y[j]) {
                    return Integer.compare(x[i] & 0xff, y[j] & 0xff);
                }
                i++;
                j++;
                continue;
            }
            int zi = skipZeros(x, i);
            int zj = skipZeros(y, j);
            int ei = skipDigits(x, zi);
            int ej = skipDigits(y, zj);
            if (ei - zi != ej - zj) {
                return Integer.compare(ei - zi, ej - zj);
            }
            for (int k = 0; k < ei - zi; k++) {
                if (x[zi + k] != y[zj + k]) {
                    return Integer.compare(x[zi + k], y[zj + k]);
                }
            }
            if (zi - i != zj - j) {
                return Integer.compare(zi - i, zj - j);
            }
            i = ei;
            j = ej;
        }
        return Integer.compare(x.length - i, y.length - j);
    }

    private static boolean digit(byte b) {
        return b >= '0' && b <= '9';
    }

    private static int skipZeros(byte[] s, int at) {
        while (at < s.length && s[at] == '0') {
            at++;
        }
        return at;
    }

    private static int skipDigits(byte[] s, int at) {
        while (at < s.length && digit(s[at])) {
            at++;
        }
        return at;
    }
}
