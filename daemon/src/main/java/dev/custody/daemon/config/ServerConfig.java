package dev.custody.daemon.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A trusted Notary server.
 *
 * @param name how requests refer to it ({@code default} unless named otherwise)
 * @param url its base URL, http or https
 * @param caFile PEM CA bundle that signs its TLS certificate, or null for the system's
 * @param credentialsFile file with {@code user:password} for its token auth, or null
 */
public record ServerConfig(String name, URI url, Path caFile, Path credentialsFile) {
  public ServerConfig {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(url, "url");
  }

  public Optional<Path> findCaFile() {
    return Optional.ofNullable(caFile);
  }

  public Optional<Path> findCredentialsFile() {
    return Optional.ofNullable(credentialsFile);
  }
}
