package dev.custody.tuf.update;

import dev.custody.tuf.OversizedMetadataException;
import java.io.IOException;
import java.util.Optional;

/**
 * Where a repository's metadata comes from (the Notary server, through {@link NotaryMetaFetcher}; an
 * in-memory map in tests). One fetcher serves one GUN. Each call is capped: a response longer than
 * {@code maxBytes} is refused with {@link OversizedMetadataException} and not parsed.
 */
public interface MetaFetcher {
    /** The current file of {@code role} ({@code timestamp.json}, {@code root.json}, …); empty if the server has none. */
    Optional<byte[]> fetch(String role, long maxBytes) throws IOException, OversizedMetadataException;

    /** A role's file by the hex SHA-256 of its bytes ({@code role.<sha256>.json}); empty if unknown. */
    Optional<byte[]> fetchByChecksum(String role, String sha256Hex, long maxBytes)
            throws IOException, OversizedMetadataException;

    /** {@code N.root.json}; empty if there is no such version. */
    Optional<byte[]> fetchRoot(int version, long maxBytes) throws IOException, OversizedMetadataException;
}
