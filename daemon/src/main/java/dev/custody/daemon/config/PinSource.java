package dev.custody.daemon.config;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a token's PIN comes from. Written in the config as {@code prompt}, {@code file:/path},
 * {@code env:VAR} or {@code credential:NAME} (a systemd credential from {@code LoadCredential=},
 * read from {@code $CREDENTIALS_DIRECTORY/NAME}). PINs themselves never appear in the config.
 */
public sealed interface PinSource {
  /** The PIN is given with {@code custody token unlock} and kept in memory for {@code pinCacheTime}. */
  record Prompt() implements PinSource {
    @Override
    public String toString() {
      return "prompt";
    }
  }

  /** The PIN is the first line of a file readable only by the daemon. */
  record FromFile(Path path) implements PinSource {
    public FromFile {
      Objects.requireNonNull(path, "path");
    }

    @Override
    public String toString() {
      return "file:" + path;
    }
  }

  /** The PIN is in an environment variable of the daemon (tests and demos). */
  record FromEnv(String variable) implements PinSource {
    public FromEnv {
      Objects.requireNonNull(variable, "variable");
    }

    @Override
    public String toString() {
      return "env:" + variable;
    }
  }

  /** The PIN is a systemd credential ({@code LoadCredential=NAME:…} in the unit). */
  record Credential(String name) implements PinSource {
    public Credential {
      Objects.requireNonNull(name, "name");
    }

    /** The credential's file, given the daemon's {@code $CREDENTIALS_DIRECTORY}. */
    public Path resolve(Path credentialsDirectory) {
      return credentialsDirectory.resolve(name);
    }

    @Override
    public String toString() {
      return "credential:" + name;
    }
  }

  Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
  Pattern CREDENTIAL_NAME = Pattern.compile("^[A-Za-z0-9_][A-Za-z0-9_.-]*$");

  /**
   * Parses the config form.
   *
   * @throws IllegalArgumentException with a message that says which forms are accepted
   */
  static PinSource parse(String s) {
    Objects.requireNonNull(s, "s");
    if (s.equals("prompt")) {
      return new Prompt();
    }
    if (s.startsWith("file:")) {
      Path p = Path.of(s.substring(5));
      if (!p.isAbsolute()) {
        throw new IllegalArgumentException("\"" + s + "\": the PIN file path must be absolute");
      }
      return new FromFile(p);
    }
    if (s.startsWith("env:")) {
      String v = s.substring(4);
      if (!ENV_NAME.matcher(v).matches()) {
        throw new IllegalArgumentException("\"" + s + "\": '" + v + "' is not an environment variable name");
      }
      return new FromEnv(v);
    }
    if (s.startsWith("credential:")) {
      String v = s.substring(11);
      if (!CREDENTIAL_NAME.matcher(v).matches()) {
        throw new IllegalArgumentException("\"" + s + "\": '" + v + "' is not a credential name");
      }
      return new Credential(v);
    }
    throw new IllegalArgumentException("\"" + s + "\" is not a PIN source: use prompt, file:/path, env:VAR or"
        + " credential:NAME (never the PIN itself)");
  }
}
