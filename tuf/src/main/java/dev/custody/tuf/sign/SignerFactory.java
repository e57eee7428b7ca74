package dev.custody.tuf.sign;

import dev.custody.tuf.SigningException;

/** Makes new keys for a repository's roles (on a token in the daemon). */
@FunctionalInterface
public interface SignerFactory {
    /**
     * A new key for {@code role} of {@code gun} ({@code root}, {@code targets}, {@code snapshot} or a
     * delegation name).
     */
    Signer generate(String gun, String role) throws SigningException;
}
