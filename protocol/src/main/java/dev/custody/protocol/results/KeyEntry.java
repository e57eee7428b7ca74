package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A key of the daemon's inventory ({@code KeyInfo} of the method catalog, as {@code key.list} sends it):
 * {@code gun} absent for keys not tied to a repository, {@code slot} absent unless the key is in a PIV
 * slot of a YubiKey; {@code role}, {@code tokenSerial} and {@code created} are sent even when unknown.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KeyEntry(
        String keyId,
        @JsonInclude(JsonInclude.Include.ALWAYS) String role,
        String gun,
        String algorithm,
        String token,
        @JsonInclude(JsonInclude.Include.ALWAYS) String tokenSerial,
        String slot,
        boolean present,
        @JsonInclude(JsonInclude.Include.ALWAYS) String created) {}
