package dev.custody.client.cli;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Size and hashes of a target, computed locally as notary does for {@code add} (the file never goes
 * to the daemon, only its length and digests).
 */
record Digests(long length, String sha256, String sha512) {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA512 = Pattern.compile("[0-9a-f]{128}");

    static Digests of(InputStream in) throws IOException {
        MessageDigest s256 = digest("SHA-256");
        MessageDigest s512 = digest("SHA-512");
        byte[] buf = new byte[1 << 16];
        long length = 0;
        for (int n; (n = in.read(buf)) > 0; ) {
            s256.update(buf, 0, n);
            s512.update(buf, 0, n);
            length += n;
        }
        return new Digests(
                length, HexFormat.of().formatHex(s256.digest()), HexFormat.of().formatHex(s512.digest()));
    }

    /** {@code hex} as a lower-case SHA-256, or a usage error naming {@code what}. */
    static String sha256(String hex, String what) {
        return hex(hex, "sha256", SHA256, "a SHA-256 digest: 64 hex digits", what);
    }

    /** {@code hex} as a lower-case SHA-512, or a usage error naming {@code what}. */
    static String sha512(String hex, String what) {
        return hex(hex, "sha512", SHA512, "a SHA-512 digest: 128 hex digits", what);
    }

    /** {@code hex} lower-cased, without an {@code algorithm:} prefix, if it matches {@code form}. */
    private static String hex(
            String hex, String algorithm, java.util.regex.Pattern form, String expected, String what) {
        String h = hex.strip().toLowerCase(java.util.Locale.ROOT);
        if (h.startsWith(algorithm + ":")) {
            h = h.substring(algorithm.length() + 1);
        }
        if (!form.matcher(h).matches()) {
            throw new Failure.UsageException(what + " must be " + expected + ", got '" + hex + "'");
        }
        return h;
    }

    private static MessageDigest digest(String name) {
        try {
            return MessageDigest.getInstance(name);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(name + " is missing from this JDK", e);
        }
    }
}
