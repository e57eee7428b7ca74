package dev.custody.tuf.testing;

import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.KeyAlgorithm;
import dev.custody.pkcs11.SignatureFormat;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenKey;
import dev.custody.tuf.SigningException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.sign.Signer;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;

/**
 * A {@link Signer} over a key generated on a PKCS#11 token (SoftHSM2 in tests): the way the daemon backs
 * the interface. Signatures come from the token as raw r‖s.
 */
public final class TokenSigner implements Signer {
    private final HsmToken token;
    private final TokenKey key;
    private final TufKey tufKey;

    private TokenSigner(HsmToken token, TokenKey key) {
        this.token = token;
        this.key = key;
        this.tufKey = PublicKeys.toTufKey(key.publicKey());
    }

    /** Signs with a key already on the token (e.g. one generated into a YubiKey PIV slot). */
    public static TokenSigner of(HsmToken token, TokenKey key) {
        return new TokenSigner(token, key);
    }

    /** Generates a P-256 key on the token (non-extractable) and signs with it. */
    public static TokenSigner generate(HsmToken token, String label) throws TokenException {
        byte[] id = label.getBytes(StandardCharsets.UTF_8);
        return new TokenSigner(token, token.generateKeyPair(KeyAlgorithm.EC_P256, id, label));
    }

    @Override
    public TufKey key() {
        return tufKey;
    }

    @Override
    public PublicKey publicKey() {
        return key.publicKey();
    }

    @Override
    public byte[] sign(byte[] message) throws SigningException {
        try {
            return token.sign(key.id(), message, SignatureFormat.RAW);
        } catch (TokenException e) {
            throw new SigningException(tufKey.id(), e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "TokenSigner[" + key.label() + " " + tufKey.id() + "]";
    }
}
