package dev.custody.protocol;

import java.util.List;

/**
 * Result of {@code sign.batch}: one base64 signature per payload, in the order sent; {@code method}
 * is {@code ecdsa} (raw r‖s over SHA-256 of the payload) or {@code eddsa}.
 */
public record BatchSignatures(String keyId, String method, String tokenSerial, List<String> signatures) {
    public BatchSignatures {
        signatures = signatures == null ? List.of() : List.copyOf(signatures);
    }

    /** The signature of payload {@code i}, decoded. */
    public byte[] signature(int i) {
        return java.util.Base64.getDecoder().decode(signatures.get(i));
    }
}
