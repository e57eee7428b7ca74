package dev.custody.daemon.rpc;

import java.util.Map;
import java.util.Optional;

/** Reads systemd's socket-activation variables (sd_listen_fds(3)). */
public final class SocketActivation {
    private SocketActivation() {}

    /**
     * How many sockets systemd passed to this process, starting at fd 3; empty if none or if the
     * variables are meant for another process ({@code LISTEN_PID} differs).
     */
    public static Optional<Integer> listenFds(Map<String, String> env, long ownPid) {
        String pid = env.get("LISTEN_PID");
        String fds = env.get("LISTEN_FDS");
        if (pid == null || fds == null) {
            return Optional.empty();
        }
        try {
            if (Long.parseLong(pid.trim()) != ownPid) {
                return Optional.empty();
            }
            int n = Integer.parseInt(fds.trim());
            return n > 0 ? Optional.of(n) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
