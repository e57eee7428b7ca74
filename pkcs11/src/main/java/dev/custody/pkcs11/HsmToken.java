package dev.custody.pkcs11;

import java.util.List;
import java.util.Optional;

/**
 * One token, opened through a {@link Pkcs11Backend}. Thread safe: operations borrow a session from a
 * pool and return it; a session is never used by two threads at once.
 *
 * <p>Call sequence: {@code backend.open(selector, pins)} → {@link #login()} (once; the PIN source is
 * asked exactly once per call, a wrong PIN is never retried) → {@link #generateKeyPair},
 * {@link #sign}, {@link #listKeys} … → {@link #close()}.
 *
 * <p>When the token is pulled out, calls fail fast with {@link TokenAbsentException}; when it comes
 * back, the next call reopens sessions and logs in again from the PIN source, without a restart.
 */
public interface HsmToken extends AutoCloseable {
    /** Fresh token information (flags included) read from the module. */
    TokenInfo info() throws TokenException;

    /** The backend's name, for messages: {@code ipkcs11wrapper} or {@code sunpkcs11}. */
    String backendName();

    /**
     * C_Login as the user with a PIN from the PIN source. Called once; a wrong PIN throws
     * {@link PinIncorrectException} with the token's remaining-tries flags and is not retried, and
     * automatic re-login after a re-insert is disabled until the next successful {@code login()}.
     */
    void login() throws TokenException;

    boolean isLoggedIn();

    /** C_Logout; keys stay on the token. */
    void logout() throws TokenException;

    /**
     * Generates a key pair on the token (C_GenerateKeyPair). The private key is CKA_TOKEN, CKA_PRIVATE,
     * CKA_SENSITIVE, not CKA_EXTRACTABLE, sign-only.
     */
    TokenKey generateKeyPair(KeyAlgorithm algorithm, byte[] id, String label) throws TokenException;

    /**
     * Puts an existing software private key on the token (C_CreateObject) with the same protection
     * flags as a generated one. The caller still holds (and must delete) its software copy.
     */
    TokenKey importPrivateKey(
            java.security.PrivateKey privateKey, java.security.PublicKey publicKey, byte[] id, String label)
            throws TokenException;

    /** All private keys on the token that have a matching public key (by CKA_ID). */
    List<TokenKey> listKeys() throws TokenException;

    Optional<TokenKey> findKey(byte[] id) throws TokenException;

    /**
     * Gives a key pair a new CKA_ID (C_SetAttributeValue on the private and the public key object),
     * e.g. an ID derived from the public key once it is known. Backends or tokens that cannot change
     * CKA_ID throw {@link UnsupportedByBackendException}; the key then keeps its old ID.
     */
    default TokenKey changeKeyId(byte[] oldId, byte[] newId) throws TokenException {
        throw new UnsupportedByBackendException(backendName(), "change CKA_ID", "not implemented");
    }

    /** Deletes the private key and its public key object (C_DestroyObject). */
    void deleteKey(byte[] id) throws TokenException;

    /**
     * Signs a message: ECDSA P-256 over its SHA-256 (hashed here, CKM_ECDSA on the token), EdDSA
     * over the message itself (CKM_EDDSA).
     */
    byte[] sign(byte[] keyId, byte[] message, SignatureFormat format) throws TokenException;

    /**
     * Signs several messages with one key, in order, as {@link #sign} would; the first failure fails
     * the whole call. The default signs one by one; a backend with a session pool signs them all on
     * one session.
     */
    default java.util.List<byte[]> signAll(byte[] keyId, java.util.List<byte[]> messages, SignatureFormat format)
            throws TokenException {
        java.util.List<byte[]> out = new java.util.ArrayList<>(messages.size());
        for (byte[] m : messages) {
            out.add(sign(keyId, m, format));
        }
        return out;
    }

    /** ECDSA over a SHA-256 digest computed by the caller. */
    byte[] signDigest(byte[] keyId, byte[] sha256, SignatureFormat format) throws TokenException;

    /** The private key's protection attributes, read from the token. */
    PrivateKeyAttributes privateKeyAttributes(byte[] keyId) throws TokenException;

    /** True if the token offers CKM_EC_EDWARDS_KEY_PAIR_GEN and CKM_EDDSA. */
    boolean supportsEd25519() throws TokenException;

    @Override
    void close();
}
