package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A key held on a token ({@code KeyInfo} of the method catalog).
 *
 * @param keyId the TUF key ID, hex
 * @param role {@code root}, {@code targets}, {@code snapshot}, or a delegation name
 * @param gun the repository the key belongs to; null for root and delegation keys
 * @param token the configured token name
 * @param created when the key was generated or imported, RFC 3339
 * @param publicKey the public key as PEM, when the daemon sends it ({@code trust key generate}
 *     writes it to NAME.pub)
 * @param softwareCopyNote set by {@code key.import}: the software copy is left for the user to delete
 * @param alreadyImported set by {@code key.import} with {@code skipExisting}: the key was on a token
 *     already and nothing was written
 * @param slot the PIV slot ({@code 9c} …) of a key on a {@code profile: yubikey} token, else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KeyInfo(
        String keyId,
        String role,
        String gun,
        String algorithm,
        String token,
        String tokenSerial,
        boolean present,
        String created,
        String publicKey,
        String softwareCopyNote,
        Boolean alreadyImported,
        String slot) {}
