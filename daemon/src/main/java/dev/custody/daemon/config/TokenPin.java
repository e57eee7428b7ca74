package dev.custody.daemon.config;

import dev.custody.pkcs11.PinSource;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a configured token's PIN comes from, as written in the config: {@code prompt} (given with
 * {@code custody token unlock}, kept for {@code pinCacheTime}), {@code file:/path}, {@code env:VAR}
 * or {@code credential:NAME} (a systemd credential, {@code $CREDENTIALS_DIRECTORY/NAME}). The
 * config only checks the form and names the field; reading the PIN is the token layer's
 * {@link PinSource}. PINs themselves never appear in the config.
 *
 * @param spec the config text, shown in messages and {@code token.list}
 * @param source the token-layer source, or null for {@code prompt}
 */
public record TokenPin(String spec, PinSource source) {
  private static final Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
  private static final Pattern CREDENTIAL_NAME = Pattern.compile("^[A-Za-z0-9_][A-Za-z0-9_.-]*$");

  public TokenPin {
    Objects.requireNonNull(spec, "spec");
  }

  /** The PIN only comes from {@code custody token unlock}. */
  public static TokenPin prompt() {
    return new TokenPin("prompt", null);
  }

  /** The configured source, empty for {@code prompt}. */
  public Optional<PinSource> findSource() {
    return Optional.ofNullable(source);
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
    if (s.startsWith("file:")) {
      if (!Path.of(s.substring(5)).isAbsolute()) {
        throw new IllegalArgumentException("\"" + s + "\": the PIN file path must be absolute");
      }
      return new TokenPin(s, tokenLayer(s));
    }
    if (s.startsWith("env:")) {
      String v = s.substring(4);
      if (!ENV_NAME.matcher(v).matches()) {
        throw new IllegalArgumentException("\"" + s + "\": '" + v + "' is not an environment variable name");
      }
      return new TokenPin(s, tokenLayer(s));
    }
    if (s.startsWith("credential:")) {
      String v = s.substring(11);
      if (!CREDENTIAL_NAME.matcher(v).matches()) {
        throw new IllegalArgumentException("\"" + s + "\": '" + v + "' is not a credential name");
      }
      // resolved at use: $CREDENTIALS_DIRECTORY is set by systemd for the service process only
      return new TokenPin(s, token -> {
        String dir = System.getenv("CREDENTIALS_DIRECTORY");
        if (dir == null) {
          throw new dev.custody.pkcs11.TokenException(dev.custody.pkcs11.TokenErrorCode.PIN_REQUIRED,
              "the PIN source " + s + " needs $CREDENTIALS_DIRECTORY (LoadCredential= in custodyd.service)");
        }
        return PinSource.file(Path.of(dir, v)).pin(token);
      });
    }
    throw new IllegalArgumentException("\"" + s + "\" is not a PIN source: use prompt, file:/path, env:VAR or"
        + " credential:NAME (never the PIN itself)");
  }

  private static PinSource tokenLayer(String s) {
    try {
      return PinSource.parse(s);
    } catch (dev.custody.pkcs11.TokenException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenPin p && p.spec.equals(spec);
  }

  @Override
  public int hashCode() {
    return spec.hashCode();
  }

  @Override
  public String toString() {
    return spec;
  }
}
