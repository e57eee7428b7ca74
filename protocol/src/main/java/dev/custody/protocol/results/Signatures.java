package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Result of {@code sign.raw} ({@code signature}) and {@code sign.batch} ({@code signatures}, one per
 * payload in the order sent): {@code method} is {@code ecdsa} or {@code eddsa}, signatures base64;
 * {@code tokenSerial} absent when not known.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Signatures(String keyId, String method, String signature, String tokenSerial, List<String> signatures) {

    /** {@code sign.raw}. */
    public static Signatures one(String keyId, String method, String signature, String tokenSerial) {
        return new Signatures(keyId, method, signature, tokenSerial, null);
    }

    /** {@code sign.batch}. */
    public static Signatures batch(String keyId, String method, String tokenSerial, List<String> signatures) {
        return new Signatures(keyId, method, null, tokenSerial, List.copyOf(signatures));
    }
}
