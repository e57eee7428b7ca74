package dev.custody.tuf.model;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** The digests TUF metadata uses (key IDs, file hashes, bundle checksums), computed with the JDK. */
public final class Digests {
    private Digests() {}

    /** {@code data}'s digest with {@code algorithm} ({@code SHA-256}, {@code SHA-512}). */
    public static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 of {@code data} as 64 lowercase hex digits. */
    public static String sha256Hex(byte[] data) {
        return HexFormat.of().formatHex(digest("SHA-256", data));
    }
}
