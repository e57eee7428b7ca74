package dev.custody.tuf.testing;

import dev.custody.tuf.OversizedMetadataException;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.update.MetaFetcher;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A repository served from memory (python-tuf's repository simulator): current files by role, every
 * root version by number, lookups by checksum. Size caps are enforced like the Notary fetcher's.
 */
public final class InMemoryRepo implements MetaFetcher {
    private final Map<String, byte[]> current = new LinkedHashMap<>();
    private final Map<Integer, byte[]> roots = new TreeMap<>();

    public InMemoryRepo put(String role, byte[] bytes) {
        current.put(role, bytes.clone());
        if ("root".equals(role)) {
            try {
                roots.put(Signed.parse(bytes, "root").version(), bytes.clone());
            } catch (Exception e) {
                // a broken root is only served as root.json
            }
        }
        return this;
    }

    public InMemoryRepo putRootVersion(int version, byte[] bytes) {
        roots.put(version, bytes.clone());
        return this;
    }

    public byte[] get(String role) {
        byte[] b = current.get(role);
        if (b == null) {
            throw new IllegalArgumentException("no " + role);
        }
        return b.clone();
    }

    public Map<String, byte[]> files() {
        return Map.copyOf(current);
    }

    public InMemoryRepo copy() {
        InMemoryRepo r = new InMemoryRepo();
        r.current.putAll(current);
        r.roots.putAll(roots);
        return r;
    }

    @Override
    public Optional<byte[]> fetch(String role, long maxBytes) throws OversizedMetadataException {
        return capped(role, current.get(role), maxBytes);
    }

    @Override
    public Optional<byte[]> fetchByChecksum(String role, String sha256Hex, long maxBytes)
            throws OversizedMetadataException {
        byte[] b = current.get(role);
        if (b == null || !HexFormat.of().formatHex(sha256(b)).equals(sha256Hex)) {
            return Optional.empty();
        }
        return capped(role, b, maxBytes);
    }

    @Override
    public Optional<byte[]> fetchRoot(int version, long maxBytes) throws OversizedMetadataException {
        return capped("root", roots.get(version), maxBytes);
    }

    private static Optional<byte[]> capped(String role, byte[] b, long maxBytes) throws OversizedMetadataException {
        if (b == null) {
            return Optional.empty();
        }
        if (b.length > maxBytes) {
            throw new OversizedMetadataException(role, maxBytes);
        }
        return Optional.of(b.clone());
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
