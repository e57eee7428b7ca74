package dev.custody.tuf.sign;

import dev.custody.tuf.SigningException;
import dev.custody.tuf.model.KeyTypes;
import dev.custody.tuf.model.TufKey;
import java.security.PublicKey;

/**
 * One private key, wherever it lives (a token in the daemon; software keys in tests). The daemon backs
 * this with a PKCS#11 key handle, so the private key never leaves the token.
 *
 * <p>{@link #sign(byte[])} returns the signature exactly as TUF metadata carries it: for ECDSA P-256 the
 * raw {@code r‖s} (64 bytes) over SHA-256 of the message; for Ed25519 the 64-byte signature of the
 * message. X.509 code that needs DER ECDSA converts ({@link EcdsaSignatures}).
 */
public interface Signer {
    /** The public key object as it appears in metadata ({@code ecdsa}, {@code ed25519}, or an {@code -x509} form). */
    TufKey key();

    /** The bare public key (for a certificate-bearing {@link #key()}, the certificate's key). */
    PublicKey publicKey();

    /** Signs {@code message}; see the class comment for the format. */
    byte[] sign(byte[] message) throws SigningException;

    /** {@link #key()}'s ID, which signatures carry. */
    default String keyId() {
        return key().id();
    }

    /** The signature method Notary writes for {@link #key()}: {@code ecdsa} or {@code eddsa}. */
    default String method() {
        return KeyTypes.signingMethod(key().keyType())
                .orElseThrow(() -> new IllegalStateException("no signing method for key type " + key().keyType()));
    }

    /**
     * The same private key presented under another public key object, e.g. the {@code ecdsa-x509}
     * certificate of a root key. The caller vouches that {@code key} carries this signer's public key.
     */
    default Signer as(TufKey key) {
        Signer self = this;
        return new Signer() {
            @Override
            public TufKey key() {
                return key;
            }

            @Override
            public PublicKey publicKey() {
                return self.publicKey();
            }

            @Override
            public byte[] sign(byte[] message) throws SigningException {
                return self.sign(message);
            }

            @Override
            public String toString() {
                return "Signer[" + key.keyType() + " " + key.id() + " via " + self + "]";
            }
        };
    }
}
