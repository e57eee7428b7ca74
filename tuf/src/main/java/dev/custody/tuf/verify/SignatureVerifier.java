package dev.custody.tuf.verify;

import dev.custody.tuf.InvalidSignatureException;
import dev.custody.tuf.SignatureThresholdException;
import dev.custody.tuf.UnsupportedKeyTypeException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.KeyTypes;
import dev.custody.tuf.model.Signature;
import dev.custody.tuf.model.TufKey;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Signature checks, pure. Methods as Notary's verifiers: {@code ecdsa} (raw r‖s, SHA-256; P-256/384/521,
 * for {@code ecdsa} and {@code ecdsa-x509} keys), {@code eddsa} (Ed25519), {@code rsapss} (PSS, SHA-256,
 * salt = hash length) and {@code rsapkcs1v15} (SHA-256), for {@code rsa}/{@code rsa-x509} keys.
 */
public final class SignatureVerifier {
    private SignatureVerifier() {}

    /**
     * Whether {@code sig} is a valid signature of {@code message} by {@code key}. A method that does not
     * fit the key type is simply invalid.
     *
     * @throws UnsupportedKeyTypeException if the key's type is unknown or its bytes do not decode
     */
    public static boolean verify(TufKey key, Signature sig, byte[] message, String role)
            throws UnsupportedKeyTypeException {
        if (!KeyTypes.isSupported(key.keyType())) {
            throw new UnsupportedKeyTypeException(role, key.id(), key.keyType());
        }
        if (!KeyTypes.methodFits(sig.method(), key.keyType())) {
            return false;
        }
        PublicKey pk = PublicKeys.toPublicKey(key, role);
        try {
            java.security.Signature v;
            switch (sig.method()) {
                case KeyTypes.METHOD_ECDSA -> {
                    if (!(pk instanceof ECPublicKey ec)) {
                        return false;
                    }
                    int fieldBytes = (ec.getParams().getCurve().getField().getFieldSize() + 7) / 8;
                    if (sig.value().length != 2 * fieldBytes) {
                        return false;
                    }
                    v = java.security.Signature.getInstance("SHA256withECDSAinP1363Format");
                }
                case KeyTypes.METHOD_EDDSA -> v = java.security.Signature.getInstance("Ed25519");
                case KeyTypes.METHOD_RSAPSS -> {
                    v = java.security.Signature.getInstance("RSASSA-PSS");
                    v.setParameter(new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1));
                }
                case KeyTypes.METHOD_RSAPKCS1V15 -> v = java.security.Signature.getInstance("SHA256withRSA");
                default -> {
                    return false;
                }
            }
            v.initVerify(pk);
            v.update(message);
            return v.verify(sig.value());
        } catch (GeneralSecurityException | RuntimeException e) {
            return false;
        }
    }

    /**
     * TUF threshold check: at least {@code threshold} distinct keys of the role (by key ID, each key's
     * computed ID equal to the ID it is listed under) made a valid signature over {@code message}.
     * Every key assigned to the role must be of a supported type.
     *
     * @return the key IDs with a valid signature
     * @throws InvalidSignatureException if below threshold and some role-key signatures did not verify
     * @throws SignatureThresholdException if below threshold otherwise
     */
    public static Set<String> verifyThreshold(
            String role, byte[] message, List<Signature> signatures, Map<String, TufKey> roleKeys, int threshold)
            throws SignatureThresholdException, UnsupportedKeyTypeException {
        for (Map.Entry<String, TufKey> e : roleKeys.entrySet()) {
            if (!KeyTypes.isSupported(e.getValue().keyType())) {
                throw new UnsupportedKeyTypeException(
                        role, e.getKey(), e.getValue().keyType());
            }
        }
        Set<String> valid = new LinkedHashSet<>();
        Set<String> invalid = new LinkedHashSet<>();
        for (Signature s : signatures) {
            TufKey key = roleKeys.get(s.keyId());
            if (key == null || valid.contains(s.keyId())) {
                continue;
            }
            if (key.id().equals(s.keyId()) && verify(key, s, message, role)) {
                valid.add(s.keyId());
                invalid.remove(s.keyId());
            } else {
                invalid.add(s.keyId());
            }
        }
        if (threshold < 1 || valid.size() < threshold) {
            List<String> missing = new ArrayList<>(roleKeys.keySet());
            missing.removeAll(valid);
            if (!invalid.isEmpty()) {
                throw new InvalidSignatureException(role, threshold, valid.size(), missing, List.copyOf(invalid));
            }
            throw new SignatureThresholdException(role, threshold, valid.size(), missing);
        }
        return valid;
    }
}
