package dev.custody.daemon.config;

import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.SecretLocation;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a configured token's PIN comes from, as written in the config: {@code prompt} (given with
 * {@code custody token unlock}, kept for {@code pinCacheTime}), {@code file:/path}, {@code env:VAR}
 * or {@code credential:NAME} (a systemd credential, {@code $CREDENTIALS_DIRECTORY/NAME}). The
 * config only checks the form and names the field; reading the PIN is the token layer's
 * {@link PinSource}. PINs themselves never appear in the config.
 *
 * <p>Two are equal when their config text is.
 *
 * @param spec the config text, shown in messages and {@code token.list}
 * @param location where the PIN is read from, or null for {@code prompt}
 */
public record TokenPin(String spec, SecretLocation location) {

    public TokenPin {
        Objects.requireNonNull(spec, "spec");
    }

    /** The PIN only comes from {@code custody token unlock}. */
    public static TokenPin prompt() {
        return new TokenPin("prompt", null);
    }

    /** The token-layer source, or null for {@code prompt}. */
    public PinSource source() {
        return location == null ? null : token -> location.read("PIN");
    }

    /** The configured source, empty for {@code prompt}. */
    public Optional<PinSource> findSource() {
        return Optional.ofNullable(source());
    }

    /**
     * Parses the config form.
     *
     * @throws IllegalArgumentException with a message that says which forms are accepted
     */
    public static TokenPin parse(String s) {
        Objects.requireNonNull(s, "s");
        if (s.equals("prompt")) {
            return prompt();
        }
        Optional<SecretLocation> at = SecretLocation.find(s, false);
        if (at.isPresent()) {
            return new TokenPin(s, at.get().checked(s, "PIN"));
        }
        throw new IllegalArgumentException("\"" + s + "\" is not a PIN source: use prompt, file:/path, env:VAR or"
                + " credential:NAME (never the PIN itself)");
    }

    @Override
    public String toString() {
        return spec;
    }
}
