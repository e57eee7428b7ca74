package dev.custody.pkcs11;

import java.security.PublicKey;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A key pair on a token, as the daemon sees it: the CKA_ID and CKA_LABEL it is found by, its
 * algorithm, and its public key. There is no private key material here, by construction.
 */
public record TokenKey(byte[] id, String label, KeyAlgorithm algorithm, PublicKey publicKey) {
    public TokenKey {
        id = id.clone();
    }

    @Override
    public byte[] id() {
        return id.clone();
    }

    public String idHex() {
        return HexFormat.of().formatHex(id);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenKey k
                && Arrays.equals(id, k.id)
                && label.equals(k.label)
                && algorithm == k.algorithm
                && publicKey.equals(k.publicKey);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(id) * 31 + label.hashCode();
    }

    @Override
    public String toString() {
        return "TokenKey[id=" + idHex() + ", label=" + label + ", " + algorithm + "]";
    }
}
