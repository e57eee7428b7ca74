package dev.custody.daemon.testing;

import dev.custody.daemon.rpc.DispatchHook;
import dev.custody.daemon.rpc.Dispatcher;
import dev.custody.daemon.rpc.ListenSocket;
import dev.custody.daemon.rpc.MethodRegistry;
import dev.custody.daemon.rpc.RpcServer;
import dev.custody.daemon.rpc.ServerLimits;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;

/** An {@link RpcServer} on a socket in a temp directory, for tests. */
public final class TestServer implements Closeable {
    public final Path socket;
    public final RpcServer server;

    public TestServer(Path dir, MethodRegistry registry, DispatchHook hook, ServerLimits limits) throws IOException {
        this.socket = dir.resolve("custody.sock");
        ListenSocket listener =
                ListenSocket.bind(socket, PosixFilePermissions.fromString("rw-rw----"), Optional.empty());
        this.server = new RpcServer(listener, new Dispatcher(registry, hook), limits);
        server.start();
    }

    public static ServerLimits limits(
            int maxRequestBytes, int maxConnections, int maxInFlight, Duration idle, Duration read, Duration grace) {
        return new ServerLimits(maxRequestBytes, maxConnections, maxInFlight, 4, idle, read, grace);
    }

    @Override
    public void close() {
        server.stop(Duration.ofSeconds(5));
    }
}
