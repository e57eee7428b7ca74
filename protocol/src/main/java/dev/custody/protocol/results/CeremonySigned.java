package dev.custody.protocol.results;

import java.util.List;

/**
 * Result of {@code ceremony.sign}: the bundle with this daemon's signatures (base64), what it changes,
 * the keys that signed now, the signatures still missing, the keys skipped (a token absent …) and the
 * root version trusted here.
 */
public record CeremonySigned(
        String gun,
        String operation,
        String bundle,
        List<String> summary,
        List<String> signedBy,
        List<String> missing,
        List<Skipped> skipped,
        int trustedRootVersion) {
    public CeremonySigned {
        summary = List.copyOf(summary);
        signedBy = List.copyOf(signedBy);
        missing = List.copyOf(missing);
        skipped = List.copyOf(skipped);
    }

    /** A key of this daemon that could not sign, and why. */
    public record Skipped(String keyId, String reason) {}
}
