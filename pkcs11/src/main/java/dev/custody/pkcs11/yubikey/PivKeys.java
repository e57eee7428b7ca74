package dev.custody.pkcs11.yubikey;

import dev.custody.pkcs11.EcKeys;
import dev.custody.pkcs11.KeyAlgorithm;
import dev.custody.pkcs11.KeyNotFoundException;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.xipki.pkcs11.wrapper.AttributeVector;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;

/**
 * Reads the keys in a YubiKey's PIV slots through ykcs11, from their public key objects (no login needed):
 * the EC P-256 ones, under ykcs11's labels. RSA and P-384 keys in other slots are skipped.
 */
final class PivKeys {
    private static final byte[] P256_PRIME =
            HexFormat.of().parseHex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
    private static final byte[] P256_ORDER =
            HexFormat.of().parseHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    private static final byte[] P256_GX =
            HexFormat.of().parseHex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");

    private final RawSessions sessions;

    PivKeys(RawSessions sessions) {
        this.sessions = sessions;
    }

    /** All keys in PIV key slots (not the attestation key). */
    List<TokenKey> list() throws TokenException {
        Session s = sessions.open();
        try {
            List<TokenKey> out = new ArrayList<>();
            for (long h : s.findAllObjectsSingle(AttributeVector.newPublicKey())) { // C_FindObjects*
                AttributeVector a = s.getAttrValues(h, PKCS11Constants.CKA_ID, PKCS11Constants.CKA_KEY_TYPE);
                Optional<PivSlot> slot = PivSlot.findByCkaId(a.id());
                if (slot.isPresent()) {
                    toKey(s, h, slot.get(), a.keyType()).ifPresent(out::add);
                }
            }
            return out;
        } catch (PKCS11Exception e) {
            throw sessions.convert("C_FindObjects", e);
        } finally {
            RawSessions.closeQuietly(s);
        }
    }

    /** The key in a slot, if there is one. */
    Optional<TokenKey> find(PivSlot slot) throws TokenException {
        Session s = sessions.open();
        try {
            long[] h = s.findObjectsSingle(AttributeVector.newPublicKey().id(slot.ckaId()), 1); // C_FindObjects
            if (h.length == 0) {
                return Optional.empty();
            }
            Long keyType = s.getAttrValues(h[0], PKCS11Constants.CKA_KEY_TYPE).keyType();
            return toKey(s, h[0], slot, keyType);
        } catch (PKCS11Exception e) {
            throw sessions.convert("C_FindObjects", e);
        } finally {
            RawSessions.closeQuietly(s);
        }
    }

    /** Custody keys are P-256; RSA and P-384 keys in other slots are skipped. */
    private Optional<TokenKey> toKey(Session s, long pubHandle, PivSlot slot, Long keyType)
            throws PKCS11Exception, TokenException {
        if (keyType == null || keyType != PKCS11Constants.CKK_EC) {
            return Optional.empty();
        }
        AttributeVector a = s.getAttrValues(pubHandle, PKCS11Constants.CKA_EC_PARAMS, PKCS11Constants.CKA_EC_POINT);
        if (!isP256(a.ecParams())) {
            return Optional.empty();
        }
        return Optional.of(key(slot, a.ecPoint()));
    }

    /** The key in {@code slot} with the public point {@code ecPoint}, as this token lists it. */
    TokenKey key(PivSlot slot, byte[] ecPoint) throws TokenException {
        return new TokenKey(slot.ckaId(), privateLabel(slot), KeyAlgorithm.EC_P256, sessions.publicKey(ecPoint));
    }

    /**
     * Whether ykcs11 hands out CKA_VALUE of the private key in {@code slot} (it never should: PIV keys
     * cannot be read off the card). Only a yes/no leaves this method; the value, if any, is wiped.
     */
    boolean privateValueReadable(PivSlot slot) throws TokenException {
        Session s = sessions.open();
        try {
            long[] h = s.findObjectsSingle(AttributeVector.newPrivateKey().id(slot.ckaId()), 1); // C_FindObjects
            if (h.length == 0) {
                throw new KeyNotFoundException(
                        sessions.name() + " slot " + slot.hex(), HexFormat.of().formatHex(slot.ckaId()));
            }
            byte[] v;
            try {
                v = s.getAttrValues(h[0], PKCS11Constants.CKA_VALUE).value(); // C_GetAttributeValue
            } catch (PKCS11Exception e) {
                return false; // CKR_ATTRIBUTE_SENSITIVE / CKR_ATTRIBUTE_TYPE_INVALID
            }
            boolean readable = v != null && v.length > 0;
            if (v != null) {
                Arrays.fill(v, (byte) 0);
            }
            return readable;
        } catch (PKCS11Exception e) {
            throw sessions.convert("C_FindObjects", e);
        } finally {
            RawSessions.closeQuietly(s);
        }
    }

    /**
     * True for P-256 CKA_EC_PARAMS in either form ykcs11 uses: the named curve OID (for keys it learnt
     * from a certificate) or explicit ECParameters (for keys it learnt from GET METADATA, that is every
     * key without a certificate when the module starts; OpenSSL encodes those explicitly). Explicit
     * parameters are recognised by P-256's prime, order and generator.
     */
    static boolean isP256(byte[] ecParams) {
        if (ecParams == null) {
            return false;
        }
        if (Arrays.equals(ecParams, EcKeys.P256_PARAMS)) {
            return true;
        }
        return ecParams.length > 0
                && ecParams[0] == 0x30
                && contains(ecParams, P256_PRIME)
                && contains(ecParams, P256_ORDER)
                && contains(ecParams, P256_GX);
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** ykcs11's label of a slot's private key, e.g. "Private key for Digital Signature". */
    static String privateLabel(PivSlot slot) {
        return "Private key for " + slot.title();
    }
}
