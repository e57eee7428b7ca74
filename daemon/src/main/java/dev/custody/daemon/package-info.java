/**
 * custodyd, the key custody daemon: {@link dev.custody.daemon.Main} loads the config and runs a
 * {@link dev.custody.daemon.Daemon}, which opens the state directory, audit log and journal, and
 * serves the socket. Repository and token methods plug in as {@link dev.custody.daemon.DaemonExtension}s.
 *
 * <p>Subpackages: {@code rpc} (socket server, protocol dispatch, systemd integration),
 * {@code policy} (who may do what), {@code audit} (hash-chained audit log), {@code state}
 * (crash-safe files, per-GUN locks, operation journal), {@code config} (YAML config).
 */
package dev.custody.daemon;
