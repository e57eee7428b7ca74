package dev.custody.daemon.rpc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * JSON-RPC 2.0 notifications from custodyd to the caller of the method running now, on the same
 * connection, before its reply: {@code {"jsonrpc":"2.0","method":"notice","params":{"kind":…,…}}}.
 * Used to say what a person must do while a call waits, e.g. touch a YubiKey.
 *
 * <p>Call sequence: the {@link RpcServer} connection opens a {@link Channel} per request and runs the
 * method with it as this thread's {@link #current()} channel; code deep in a method captures
 * {@code current()} on that thread and may {@link Channel#send} from any thread until the method
 * returns. The connection then ends the channel before it writes the reply, under the same lock as
 * the notice writes: a notice never interleaves with a reply line and never comes after it (a late
 * one is dropped). Methods run in-process without a connection ({@link Dispatcher#dispatch}) have no
 * channel.
 */
public final class Notices {
    /** The JSON-RPC method name of every notification custodyd sends. */
    public static final String METHOD = "notice";

    private static final ThreadLocal<Channel> CURRENT = new ThreadLocal<>();

    private Notices() {}

    /** A call-scoped way to the caller. Thread-safe. */
    public interface Channel {
        /** Who made the call. */
        CallerIdentity caller();

        /**
         * Sends one notice line: {@code params} is {@code fields} with {@code kind} added. Returns false,
         * sending nothing, once the call has ended or the connection has failed; never throws for that.
         */
        boolean send(String kind, ObjectNode fields);
    }

    /** The channel of the call running on this thread, if it came through a connection. */
    public static Optional<Channel> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /** Runs {@code body} with {@code channel} as this thread's current channel. */
    static <T> T with(Channel channel, Supplier<T> body) {
        Objects.requireNonNull(channel, "channel");
        Channel before = CURRENT.get();
        CURRENT.set(channel);
        try {
            return body.get();
        } finally {
            if (before == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(before);
            }
        }
    }
}
