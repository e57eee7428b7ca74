package dev.custody.daemon.repo;

import dev.custody.client.protocol.BadRequestException;
import dev.custody.client.protocol.CustodyException;
import dev.custody.daemon.config.ServerConfig;
import dev.custody.tuf.server.NotaryClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The configured Notary servers, one HTTP client each, made on first use. */
final class NotaryServers {
  /** A server as repository operations use it. */
  record Server(String name, NotaryClient client) {}

  private final List<ServerConfig> configs;
  private final Map<String, Server> clients = new ConcurrentHashMap<>();

  NotaryServers(List<ServerConfig> configs) {
    this.configs = List.copyOf(configs);
  }

  /** The named server, or the first configured one when {@code name} is null. */
  Server get(String name) throws CustodyException {
    if (configs.isEmpty()) {
      throw new BadRequestException("no Notary server is configured: add one under 'servers' in the config");
    }
    ServerConfig c = name == null ? configs.get(0)
        : configs.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() -> new BadRequestException(
            "params.server: no configured server named '" + name + "'", "params.server"));
    Server s = clients.get(c.name());
    if (s != null) {
      return s;
    }
    try {
      NotaryClient.Builder b = NotaryClient.builder(c.url().toString());
      if (c.findCaFile().isPresent()) {
        b.caFile(c.findCaFile().get());
      }
      if (c.findCredentialsFile().isPresent()) {
        String line = Files.readString(c.findCredentialsFile().get(), StandardCharsets.UTF_8).strip();
        int colon = line.indexOf(':');
        if (colon < 0) {
          throw new BadRequestException("credentials file of server " + c.name() + " is not user:password");
        }
        b.basicAuth(line.substring(0, colon), line.substring(colon + 1));
      }
      Server made = new Server(c.name(), b.build());
      Server prev = clients.putIfAbsent(c.name(), made);
      return prev != null ? prev : made;
    } catch (IOException e) {
      throw RepoErrors.internal("cannot set up the client for server " + c.name() + ": " + e.getMessage(), e);
    }
  }
}
