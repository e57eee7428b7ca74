package dev.custody.tuf.repo;

import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.server.NotaryClient;
import dev.custody.tuf.server.ServerKey;
import java.io.IOException;

/** The keys a Notary server manages (timestamp; snapshot after {@code -r}). */
public interface ServerKeys {
    /** The server's current key for {@code role} ({@code timestamp} or {@code snapshot}). */
    TufKey get(String gun, String role) throws IOException;

    /** A new server key for {@code role}; the server signs with it once a root listing it is published. */
    TufKey rotate(String gun, String role) throws IOException;

    static ServerKeys of(NotaryClient client) {
        return new ServerKeys() {
            @Override
            public TufKey get(String gun, String role) throws IOException {
                return toTufKey(client.getKey(gun, role));
            }

            @Override
            public TufKey rotate(String gun, String role) throws IOException {
                return toTufKey(client.rotateKey(gun, role));
            }
        };
    }

    static TufKey toTufKey(ServerKey k) {
        return new TufKey(k.keyType(), k.publicKey());
    }
}
