package dev.custody.tuf.update;

import dev.custody.tuf.MissingMetadataException;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The local trusted copy of each repository's metadata, written only after verification, so it only
 * moves forward. Files are kept byte for byte as they were received (hashes stay valid).
 */
public interface TrustedMetaStore {
    /** The trusted file of {@code role} in {@code gun}, if any. */
    Optional<byte[]> find(String gun, String role) throws IOException;

    /** Like {@link #find} but the file must exist. */
    default byte[] get(String gun, String role) throws IOException, MissingMetadataException {
        return find(gun, role).orElseThrow(() -> new MissingMetadataException(role, "no trusted copy for " + gun));
    }

    /** The roles with a trusted file in {@code gun}. */
    Set<String> roles(String gun) throws IOException;

    /**
     * Stores {@code files} (role → bytes) and removes {@code removed}, each file replaced atomically.
     * Root is written first, so an interrupted commit never leaves newer metadata under an older root.
     */
    void commit(String gun, Map<String, byte[]> files, Set<String> removed) throws IOException;

    /** Forgets a repository. */
    void delete(String gun) throws IOException;
}
