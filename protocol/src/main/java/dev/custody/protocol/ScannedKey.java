package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A private key found on a token by {@code key.scan}, whether custodyd knows it or not.
 *
 * @param keyId the TUF key ID it has (of the bare public key), hex
 * @param ckaId its CKA_ID, hex
 * @param label its CKA_LABEL
 * @param adoptable not known yet, and protected as custody requires (sensitive, not extractable)
 * @param known already in this daemon's inventory; then {@code role}, {@code gun} and {@code knownToken} say how
 * @param publicKey the public key as PEM
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ScannedKey(
        String keyId,
        String ckaId,
        String label,
        String algorithm,
        boolean sensitive,
        boolean extractable,
        boolean adoptable,
        boolean known,
        String role,
        String gun,
        String knownToken,
        String publicKey) {}
