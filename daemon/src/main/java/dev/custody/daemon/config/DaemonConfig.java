package dev.custody.daemon.config;

import dev.custody.daemon.rpc.ServerLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * custodyd's configuration, validated and with defaults applied. {@link ConfigLoader} builds it
 * from YAML; every option and default is listed in {@code daemon/README-config.md}.
 *
 * @param source the file it came from (for messages), or null
 * @param stateDir the state directory ({@code /var/lib/custody})
 * @param socket where to listen when not socket-activated
 * @param tokens the hardware tokens, in config order
 * @param servers trusted Notary servers, in config order
 * @param policy who may do what
 * @param auditLog the audit log file ({@code STATE/audit.log})
 * @param limits socket server limits
 * @param approvalTimeout how long an operation waits for a custodian's approval (10m)
 * @param pinCacheTime how long a PIN given with {@code custody token unlock} is kept (15m)
 * @param auditCheckpoint the audit key that signs checkpoints of the audit chain, if configured
 * @param publishConvergeTimeout how long a publish the server refused because another writer got there
 *     first is rebuilt on the server's new state and sent again before it fails CONFLICT (30s)
 */
public record DaemonConfig(
        Path source,
        Path stateDir,
        SocketConfig socket,
        List<TokenConfig> tokens,
        List<ServerConfig> servers,
        PolicyConfig policy,
        Path auditLog,
        ServerLimits limits,
        Duration approvalTimeout,
        Duration pinCacheTime,
        Optional<AuditCheckpointConfig> auditCheckpoint,
        Duration publishConvergeTimeout) {

    public static final Duration DEFAULT_PUBLISH_CONVERGE_TIMEOUT = Duration.ofSeconds(30);

    public DaemonConfig {
        Objects.requireNonNull(auditCheckpoint, "auditCheckpoint");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(socket, "socket");
        tokens = List.copyOf(tokens);
        servers = List.copyOf(servers);
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(auditLog, "auditLog");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(approvalTimeout, "approvalTimeout");
        Objects.requireNonNull(pinCacheTime, "pinCacheTime");
        Objects.requireNonNull(publishConvergeTimeout, "publishConvergeTimeout");
    }

    public Optional<TokenConfig> findToken(String name) {
        return tokens.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    public Optional<ServerConfig> findServer(String name) {
        return servers.stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
