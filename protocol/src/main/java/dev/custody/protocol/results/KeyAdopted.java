package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

/**
 * Result of {@code key.adopt}: the key's {@link KeyEntry} fields, its CKA_ID, its CKA_LABEL (sent as
 * {@code null} when it has none) and its public key as PEM.
 */
public record KeyAdopted(
        @JsonUnwrapped KeyEntry key,
        String ckaId,
        @JsonInclude(JsonInclude.Include.ALWAYS) String label,
        String publicKey) {}
