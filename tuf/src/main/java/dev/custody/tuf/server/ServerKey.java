package dev.custody.tuf.server;

import java.util.Arrays;
import java.util.Base64;

/**
 * A public key the Notary server manages (timestamp, or snapshot after {@code key rotate snapshot -r}),
 * as {@code GET|POST …/<role>.key} returns it: {@code {"keytype":"ed25519","keyval":{"public":"…","private":null}}}.
 *
 * <p>The key ID is not computed here: it is the SHA-256 of the key's canonical JSON, which the
 * TUF model computes from {@link #keyType()} and {@link #publicKey()}, or from {@link #rawJson()}.
 *
 * @param keyType   {@code ed25519}, {@code ecdsa}, {@code ecdsa-x509}, {@code rsa}, …
 * @param publicKey the decoded {@code keyval.public} (raw ed25519 key, DER SubjectPublicKeyInfo, or PEM certificate)
 * @param rawJson   the response body exactly as the server sent it
 */
public record ServerKey(String keyType, byte[] publicKey, byte[] rawJson) {

    public ServerKey {
        if (keyType == null || keyType.isEmpty()) {
            throw new IllegalArgumentException("keyType is empty");
        }
        if (publicKey == null || publicKey.length == 0) {
            throw new IllegalArgumentException("publicKey is empty");
        }
        publicKey = publicKey.clone();
        rawJson = rawJson == null ? new byte[0] : rawJson.clone();
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public byte[] rawJson() {
        return rawJson.clone();
    }

    /** {@code keyval.public} as it appears in TUF metadata (standard base64). */
    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(publicKey);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ServerKey k
                && keyType.equals(k.keyType)
                && Arrays.equals(publicKey, k.publicKey)
                && Arrays.equals(rawJson, k.rawJson);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * keyType.hashCode() + Arrays.hashCode(publicKey)) + Arrays.hashCode(rawJson);
    }

    @Override
    public String toString() {
        return "ServerKey[" + keyType + " " + publicKeyBase64() + "]";
    }
}
