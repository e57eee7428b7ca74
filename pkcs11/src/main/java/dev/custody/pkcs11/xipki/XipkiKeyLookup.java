package dev.custody.pkcs11.xipki;

import dev.custody.pkcs11.EcKeys;
import dev.custody.pkcs11.KeyAlgorithm;
import dev.custody.pkcs11.KeyNotFoundException;
import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenKey;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;

/**
 * Finding a {@link XipkiToken}'s keys on a session: private key handles by CKA_ID (cached per
 * {@link Generation} for signing), and a private key with its public key object as a {@link TokenKey}.
 */
final class XipkiKeyLookup {
    private final String tokenName;

    XipkiKeyLookup(String tokenName) {
        this.tokenName = tokenName;
    }

    /** The private key's handle and CKK type, from the per-connection cache or the token. */
    long[] cachedKey(Generation g, Session s, byte[] keyId) throws PKCS11Exception, TokenException {
        String k = hex(keyId);
        long[] hk = g == null ? null : g.keyHandles.get(k);
        if (hk != null) {
            return hk;
        }
        long h = privateHandle(s, keyId);
        Long keyType = s.getAttrValues(h, PKCS11Constants.CKA_KEY_TYPE).keyType();
        hk = new long[] {h, keyType == null ? PKCS11Constants.CKK_EC : keyType};
        if (g != null) {
            g.keyHandles.put(k, hk);
        }
        return hk;
    }

    /** The one private key with CKA_ID {@code id}. */
    long privateHandle(Session s, byte[] id) throws PKCS11Exception, TokenException {
        long[] h = s.findObjectsSingle(AttributeVector.newPrivateKey().id(id), 2);
        if (h.length == 0) {
            throw new KeyNotFoundException(tokenName, hex(id));
        }
        if (h.length > 1) {
            throw new TokenException(
                    TokenErrorCode.TOKEN_ERROR,
                    "two private keys share id " + hex(id) + " on token " + tokenName + "; remove one");
        }
        return h[0];
    }

    /**
     * Every private key with CKA_ID {@code id}, about to be changed or destroyed: forgotten by the cache
     * of {@code g} (if any).
     *
     * @throws KeyNotFoundException there is none
     */
    long[] privateHandlesToChange(Session s, Generation g, byte[] id) throws PKCS11Exception, TokenException {
        long[] priv = s.findAllObjectsSingle(AttributeVector.newPrivateKey().id(id));
        if (priv.length == 0) {
            throw new KeyNotFoundException(tokenName, hex(id));
        }
        if (g != null) {
            g.keyHandles.remove(hex(id));
        }
        return priv;
    }

    /** The Custody key (EC P-256 or Ed25519, with its public key object) of a private key, if it is one. */
    Optional<TokenKey> toTokenKey(Session s, byte[] id, String label, Long keyType)
            throws PKCS11Exception, TokenException {
        KeyAlgorithm alg;
        if (keyType == null) {
            return Optional.empty();
        } else if (keyType == PKCS11Constants.CKK_EC) {
            alg = KeyAlgorithm.EC_P256;
        } else if (keyType == PKCS11Constants.CKK_EC_EDWARDS) {
            alg = KeyAlgorithm.ED25519;
        } else {
            return Optional.empty(); // RSA and others are not Custody keys
        }
        long[] pub = s.findObjectsSingle(AttributeVector.newPublicKey().id(id), 1);
        if (pub.length == 0) {
            return Optional.empty();
        }
        AttributeVector pa = s.getAttrValues(pub[0], PKCS11Constants.CKA_EC_POINT, PKCS11Constants.CKA_EC_PARAMS);
        if (alg == KeyAlgorithm.EC_P256 && !Arrays.equals(pa.ecParams(), EcKeys.P256_PARAMS)) {
            return Optional.empty(); // other curves are not Custody keys
        }
        return Optional.of(new TokenKey(id, label == null ? "" : label, alg, publicKeyFrom(alg, pa.ecPoint())));
    }

    PublicKey publicKeyFrom(KeyAlgorithm alg, byte[] point) throws TokenException {
        try {
            return alg == KeyAlgorithm.EC_P256 ? EcKeys.p256FromEcPoint(point) : EcKeys.ed25519FromEcPoint(point);
        } catch (GeneralSecurityException e) {
            throw new TokenException(
                    TokenErrorCode.TOKEN_ERROR,
                    "token " + tokenName + " returned a public key" + " that cannot be decoded: " + e.getMessage(),
                    null,
                    null,
                    e);
        }
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
