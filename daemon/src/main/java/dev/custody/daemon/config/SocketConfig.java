package dev.custody.daemon.config;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where the daemon listens when it is not socket-activated (with systemd, custodyd.socket decides).
 *
 * @param path the socket file
 * @param mode its mode, 0660 by default
 * @param group its group, {@code custody} by default; null keeps the daemon's own group
 */
public record SocketConfig(Path path, Set<PosixFilePermission> mode, String group) {
    public SocketConfig {
        Objects.requireNonNull(path, "path");
        mode = Set.copyOf(mode);
    }

    public Optional<String> findGroup() {
        return Optional.ofNullable(group);
    }
}
