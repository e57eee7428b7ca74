package dev.custody.daemon.config;

import dev.custody.pkcs11.TokenSelector;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A hardware token the daemon uses: its PKCS#11 module and how to recognise it (label and/or
 * serial, or an RFC 7512 URI parsed by the token layer's {@link TokenSelector}).
 *
 * @param name the name commands and audit lines use, e.g. {@code yubikey-1}
 * @param module absolute path of the PKCS#11 module (.so)
 * @param label token label (CKA_LABEL of the token info), or null
 * @param serial token serial number, or null
 * @param uri a PKCS#11 URI instead of label/serial, or null
 * @param pin where the PIN comes from
 * @param holders who must approve each signature with this token's keys ({@link TokenHolders#NONE}: nobody)
 */
public record TokenConfig(String name, Path module, String label, String serial, TokenSelector uri, TokenPin pin,
    TokenHolders holders) {
  public TokenConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(pin, "pin");
    holders = holders == null ? TokenHolders.NONE : holders;
  }

  /** A token without holders. */
  public TokenConfig(String name, Path module, String label, String serial, TokenSelector uri, TokenPin pin) {
    this(name, module, label, serial, uri, pin, TokenHolders.NONE);
  }

  public Optional<String> findLabel() {
    return Optional.ofNullable(label);
  }

  public Optional<String> findSerial() {
    return Optional.ofNullable(serial);
  }

  public Optional<TokenSelector> findUri() {
    return Optional.ofNullable(uri);
  }

  /** How the token layer finds this token among the module's slots. */
  public TokenSelector selector() {
    return uri != null ? uri : new TokenSelector(label, serial, null, null, null, null, null, null);
  }
}
