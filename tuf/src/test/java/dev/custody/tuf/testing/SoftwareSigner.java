package dev.custody.tuf.testing;

import dev.custody.tuf.SigningException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.sign.Signer;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;

/** A {@link Signer} over a JCA private key in memory. Tests only: production keys live on tokens. */
public final class SoftwareSigner implements Signer {
    private final TufKey key;
    private final PublicKey publicKey;
    private final PrivateKey privateKey;

    public SoftwareSigner(TufKey key, PublicKey publicKey, PrivateKey privateKey) {
        this.key = key;
        this.publicKey = publicKey;
        this.privateKey = privateKey;
    }

    /** A factory of fresh {@link #ecdsa()} keys for every role it is asked for, each also added to {@code made}. */
    public static dev.custody.tuf.sign.SignerFactory ecdsaInto(java.util.List<? super SoftwareSigner> made) {
        return (gun, role) -> {
            SoftwareSigner s = ecdsa();
            made.add(s);
            return s;
        };
    }

    public static SoftwareSigner ecdsa() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair kp = g.generateKeyPair();
            return new SoftwareSigner(PublicKeys.toTufKey(kp.getPublic()), kp.getPublic(), kp.getPrivate());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static SoftwareSigner ed25519() {
        try {
            KeyPair kp = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            return new SoftwareSigner(PublicKeys.toTufKey(kp.getPublic()), kp.getPublic(), kp.getPrivate());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public TufKey key() {
        return key;
    }

    @Override
    public PublicKey publicKey() {
        return publicKey;
    }

    @Override
    public byte[] sign(byte[] message) throws SigningException {
        try {
            java.security.Signature s = java.security.Signature.getInstance(
                    "EC".equals(privateKey.getAlgorithm()) ? "SHA256withECDSAinP1363Format" : "Ed25519");
            s.initSign(privateKey);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new SigningException(key.id(), e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "SoftwareSigner[" + key.keyType() + " " + key.id() + "]";
    }
}
