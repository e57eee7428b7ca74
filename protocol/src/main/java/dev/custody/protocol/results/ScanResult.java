package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * Result of {@code key.scan}: the private keys on one token ({@code tokenSerial} absent when the token was
 * never seen). Each key's {@code label} is sent even when it has none; {@code role}, {@code gun} and
 * {@code knownToken} only for a key of the inventory ({@code gun} only when it has one).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ScanResult(String token, String tokenSerial, List<Found> keys) {
    public ScanResult {
        keys = List.copyOf(keys);
    }

    /** One private key found on the token. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Found(
            String keyId,
            String ckaId,
            @JsonInclude(JsonInclude.Include.ALWAYS) String label,
            String algorithm,
            boolean sensitive,
            boolean extractable,
            boolean adoptable,
            boolean known,
            String role,
            String gun,
            String knownToken,
            String publicKey) {}
}
