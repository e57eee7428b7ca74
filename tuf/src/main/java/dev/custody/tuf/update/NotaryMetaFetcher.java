package dev.custody.tuf.update;

import dev.custody.tuf.OversizedMetadataException;
import dev.custody.tuf.server.NotFoundException;
import dev.custody.tuf.server.NotaryClient;
import dev.custody.tuf.server.ResponseTooLargeException;
import java.io.IOException;
import java.util.Optional;

/**
 * {@link MetaFetcher} over a {@link NotaryClient} for one GUN: 404 becomes empty, a response over the
 * client's limit or over the per-role limit becomes {@link OversizedMetadataException}; every other
 * server failure passes through as the client's {@code NotaryServerException} (an {@link IOException}).
 */
public final class NotaryMetaFetcher implements MetaFetcher {
    private final NotaryClient client;
    private final String gun;

    public NotaryMetaFetcher(NotaryClient client, String gun) {
        this.client = client;
        this.gun = gun;
    }

    @FunctionalInterface
    private interface Call {
        byte[] get() throws IOException;
    }

    @Override
    public Optional<byte[]> fetch(String role, long maxBytes) throws IOException, OversizedMetadataException {
        return capped(role, maxBytes, () -> client.getRole(gun, role));
    }

    @Override
    public Optional<byte[]> fetchByChecksum(String role, String sha256Hex, long maxBytes)
            throws IOException, OversizedMetadataException {
        return capped(role, maxBytes, () -> client.getRoleByChecksum(gun, role, sha256Hex));
    }

    @Override
    public Optional<byte[]> fetchRoot(int version, long maxBytes) throws IOException, OversizedMetadataException {
        return capped("root", maxBytes, () -> client.getRootVersion(gun, version));
    }

    private static Optional<byte[]> capped(String role, long maxBytes, Call call)
            throws IOException, OversizedMetadataException {
        byte[] body;
        try {
            body = call.get();
        } catch (NotFoundException e) {
            return Optional.empty();
        } catch (ResponseTooLargeException e) {
            throw new OversizedMetadataException(role, Math.min(maxBytes, e.limit()));
        }
        if (body.length > maxBytes) {
            throw new OversizedMetadataException(role, maxBytes);
        }
        return Optional.of(body);
    }
}
