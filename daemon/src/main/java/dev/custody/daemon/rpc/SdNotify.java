package dev.custody.daemon.rpc;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.newsclub.net.unix.AFUNIXDatagramChannel;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * Tells systemd about the daemon's state (sd_notify(3)): one datagram per message to
 * {@code $NOTIFY_SOCKET}, a path or, with a leading {@code @}, an abstract-namespace name. Used
 * with {@code Type=notify}: {@code READY=1} once the socket serves, {@code STOPPING=1} when a stop
 * begins, {@code STATUS=…} for {@code systemctl status}.
 */
public final class SdNotify implements Closeable {
    private final AFUNIXSocketAddress target;
    private final AFUNIXDatagramChannel channel;

    private SdNotify(AFUNIXSocketAddress target, AFUNIXDatagramChannel channel) {
        this.target = target;
        this.channel = channel;
    }

    /** A notifier for {@code $NOTIFY_SOCKET}, or empty when not started by systemd with Type=notify. */
    public static Optional<SdNotify> fromEnvironment(Map<String, String> env) throws IOException {
        String s = env.get("NOTIFY_SOCKET");
        if (s == null || s.isEmpty()) {
            return Optional.empty();
        }
        AFUNIXSocketAddress addr = s.startsWith("@")
                ? AFUNIXSocketAddress.inAbstractNamespace(s.substring(1))
                : AFUNIXSocketAddress.of(java.nio.file.Path.of(s));
        return Optional.of(new SdNotify(addr, AFUNIXDatagramChannel.open()));
    }

    /** Sends one notification, e.g. {@code "READY=1\nSTATUS=serving"}. */
    public synchronized void send(String state) throws IOException {
        Objects.requireNonNull(state, "state");
        byte[] b = state.getBytes(StandardCharsets.UTF_8);
        int sent = channel.send(ByteBuffer.wrap(b), target);
        if (sent != b.length) {
            throw new IOException("sd_notify: sent " + sent + " of " + b.length + " bytes to " + target);
        }
    }

    public void ready(String status) throws IOException {
        send("READY=1\nSTATUS=" + oneLine(status) + "\nMAINPID="
                + ProcessHandle.current().pid());
    }

    public void stopping(String status) throws IOException {
        send("STOPPING=1\nSTATUS=" + oneLine(status));
    }

    public void status(String status) throws IOException {
        send("STATUS=" + oneLine(status));
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ');
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
