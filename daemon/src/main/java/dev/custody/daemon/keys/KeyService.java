package dev.custody.daemon.keys;

import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.sign.SignerFactory;
import java.util.List;
import java.util.Optional;

/**
 * What repository operations need from the key custody side: signers backed by token keys, and new
 * keys generated on a token. Implemented by the tokens-and-keys extension; repository operations
 * depend only on this interface.
 *
 * <p>Every {@link Signer#sign} through a signer from here is audited by the implementation (key ID,
 * token serial) and fails with the token layer's error (TOKEN_ABSENT, PIN_REQUIRED, …) wrapped in a
 * {@link dev.custody.tuf.SigningException}.
 */
public interface KeyService {
    /** One key in the inventory: which token holds it, for which role and repository. */
    record KeyRecord(
            String keyId, String role, Optional<String> gun, String algorithm, String tokenName, String tokenSerial) {}

    /** The signer for a key in the inventory (a bare {@code ecdsa}/{@code ed25519} key). */
    Optional<Signer> findSigner(String keyId);

    /** The inventory record of a key (which token holds it), by its bare key ID. */
    Optional<KeyRecord> findKey(String keyId);

    /** Makes new keys on the given token (or the configured default when empty) for repository roles. */
    SignerFactory signerFactory(Optional<String> tokenName);

    /** Every key in the inventory, newest first. */
    List<KeyRecord> allKeys();

    /** Keys recorded for a repository (and its roles), newest first. */
    List<KeyRecord> keysFor(String gun);

    /** Records which role/repository a key now serves (after init or rotation). */
    void assign(String keyId, String role, String gun) throws java.io.IOException;
}
