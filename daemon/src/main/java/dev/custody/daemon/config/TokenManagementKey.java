package dev.custody.daemon.config;

import dev.custody.pkcs11.SecretLocation;
import dev.custody.pkcs11.yubikey.ManagementKeySource;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a {@code profile: yubikey} token's PIV management key comes from, as written in the config:
 * {@code file:/path}, {@code env:VAR}, {@code credential:NAME} ({@code $CREDENTIALS_DIRECTORY/NAME}),
 * or {@code default} (the factory key every YubiKey ships with; custodyd warns at start and in
 * {@code status}). The key itself never appears in the config: a value that is none of these forms
 * is refused without being echoed. Only key generation needs it.
 *
 * <p>Two are equal when their config text is.
 *
 * @param spec the config text, shown in messages and {@code token.list}
 * @param location where the key is read from, or null for {@code default}
 */
public record TokenManagementKey(String spec, SecretLocation location) {

    public TokenManagementKey {
        Objects.requireNonNull(spec, "spec");
    }

    /** The token layer's source. */
    public ManagementKeySource source() {
        return location == null ? ManagementKeySource.wellKnownDefault() : token -> location.read("management key");
    }

    /** True for {@code default}: the well-known factory key. */
    public boolean isWellKnownDefault() {
        return spec.equals("default");
    }

    /**
     * Parses the config form.
     *
     * @throws IllegalArgumentException with a message that says which forms are accepted; it never
     *     repeats {@code s}, which may be a key pasted in by mistake
     */
    public static TokenManagementKey parse(String s) {
        Objects.requireNonNull(s, "s");
        if (s.equals("default")) {
            return new TokenManagementKey(s, null);
        }
        Optional<SecretLocation> at = SecretLocation.find(s, false);
        if (at.isPresent()) {
            return new TokenManagementKey(s, at.get().checked(s, "management key"));
        }
        throw new IllegalArgumentException("this is not a management key source (value not shown): use file:/path,"
                + " env:VAR, credential:NAME or default (never the key itself)");
    }

    @Override
    public String toString() {
        return spec;
    }
}
