package dev.custody.daemon.config;

import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.yubikey.ManagementKeySource;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a {@code profile: yubikey} token's PIV management key comes from, as written in the config:
 * {@code file:/path}, {@code env:VAR}, {@code credential:NAME} ({@code $CREDENTIALS_DIRECTORY/NAME}),
 * or {@code default} (the factory key every YubiKey ships with; custodyd warns at start and in
 * {@code status}). The key itself never appears in the config: a value that is none of these forms
 * is refused without being echoed. Only key generation needs it.
 *
 * @param spec the config text, shown in messages and {@code token.list}
 * @param source the token layer's source
 */
public record TokenManagementKey(String spec, ManagementKeySource source) {
  private static final Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
  private static final Pattern CREDENTIAL_NAME = Pattern.compile("^[A-Za-z0-9_][A-Za-z0-9_.-]*$");

  public TokenManagementKey {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(source, "source");
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
      return new TokenManagementKey(s, ManagementKeySource.wellKnownDefault());
    }
    if (s.startsWith("file:")) {
      Path p = Path.of(s.substring(5));
      if (!p.isAbsolute()) {
        throw new IllegalArgumentException("\"" + s + "\": the management key file path must be absolute");
      }
      return new TokenManagementKey(s, ManagementKeySource.file(p));
    }
    if (s.startsWith("env:")) {
      String v = s.substring(4);
      if (!ENV_NAME.matcher(v).matches()) {
        throw new IllegalArgumentException("\"" + s + "\": '" + v + "' is not an environment variable name");
      }
      return new TokenManagementKey(s, ManagementKeySource.env(v));
    }
    if (s.startsWith("credential:")) {
      String v = s.substring(11);
      if (!CREDENTIAL_NAME.matcher(v).matches()) {
        throw new IllegalArgumentException("\"" + s + "\": '" + v + "' is not a credential name");
      }
      // resolved at use: $CREDENTIALS_DIRECTORY is set by systemd for the service process only
      return new TokenManagementKey(s, token -> {
        String dir = System.getenv("CREDENTIALS_DIRECTORY");
        if (dir == null) {
          throw new TokenException(TokenErrorCode.PIN_REQUIRED, "the management key source " + s
              + " needs $CREDENTIALS_DIRECTORY (LoadCredential= in custodyd.service)");
        }
        return ManagementKeySource.file(Path.of(dir, v)).managementKey(token);
      });
    }
    throw new IllegalArgumentException("this is not a management key source (value not shown): use file:/path,"
        + " env:VAR, credential:NAME or default (never the key itself)");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenManagementKey k && k.spec.equals(spec);
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
