package dev.custody.daemon.rpc;

import dev.custody.protocol.BoundedLineReader;
import dev.custody.protocol.BusyException;
import dev.custody.protocol.LineTooLongException;
import dev.custody.protocol.RequestTimeoutException;
import dev.custody.protocol.RequestTooLargeException;
import dev.custody.protocol.RpcResponse;
import dev.custody.protocol.ShuttingDownException;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.newsclub.net.unix.AFUNIXSocket;

/**
 * One client connection of an {@link RpcServer}, served by one thread: reads request lines within
 * the limits, runs each method once {@link CallerScheduler} gives its uid a permit, and writes the
 * reply after the notices the method sent ({@link CallChannel}).
 */
final class RpcConnection implements Runnable {
    private static final System.Logger LOG = System.getLogger(RpcServer.class.getName());

    private final RpcServer server;
    private final Dispatcher dispatcher;
    private final ServerLimits limits;
    private final AFUNIXSocket socket;
    private final CallerIdentity caller;
    private final CallerTier tier;
    /** Serialises the reply of a call with the notices sent during it (from other threads too). */
    private final Object writeLock = new Object();

    private boolean busy; // guarded by this
    private boolean closed; // guarded by this
    private boolean midLine;
    private long lineDeadline;
    private int soTimeout = -1;

    RpcConnection(RpcServer server, AFUNIXSocket socket, CallerIdentity caller, CallerTier tier) {
        this.server = server;
        this.dispatcher = server.dispatcher();
        this.limits = server.limits();
        this.socket = socket;
        this.caller = caller;
        this.tier = tier;
    }

    @Override
    public void run() {
        LOG.log(Level.DEBUG, "connection from " + caller);
        try {
            serve();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "connection from " + caller + " ended: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "connection from " + caller + " failed", e);
        } finally {
            server.closed(this, caller.uid());
            forceClose();
        }
    }

    private void serve() throws IOException {
        OutputStream out = socket.getOutputStream();
        BoundedLineReader reader =
                new BoundedLineReader(socket.getInputStream(), limits.maxRequestBytes(), this::beforeRead);
        while (true) {
            byte[] line = readRequest(reader, out);
            if (line == null) {
                return;
            }
            if (isBlank(line)) {
                continue;
            }
            Dispatcher.Parsed parsed = dispatcher.parse(line);
            if (parsed.error() != null) {
                server.write(out, parsed.error());
                continue;
            }
            if (!call(out, parsed.request()) || server.isStopping()) {
                return;
            }
        }
    }

    /**
     * The next request line, or null when the connection ends: the client left, or the line was too
     * long or too slow (answered here).
     */
    private byte[] readRequest(BoundedLineReader reader, OutputStream out) throws IOException {
        try {
            return reader.readLine();
        } catch (LineTooLongException e) {
            server.write(
                    out,
                    RpcResponse.failure(
                            null,
                            new RequestTooLargeException(
                                            "request line exceeds " + limits.maxRequestBytes()
                                                    + " bytes (limits.maxRequestBytes); the connection is closed and nothing"
                                                    + " was done",
                                            limits.maxRequestBytes())
                                    .toRpcError()));
            return null;
        } catch (SocketTimeoutException e) {
            if (midLine) {
                server.write(
                        out,
                        RpcResponse.failure(
                                null,
                                new RequestTimeoutException(
                                                "request line not completed within "
                                                        + limits.requestReadTimeout()
                                                                .toMillis()
                                                        + " ms (limits.requestReadTimeout); the connection is"
                                                        + " closed and nothing was done",
                                                limits.requestReadTimeout().toMillis())
                                        .toRpcError()));
            }
            return null;
        } catch (EOFException e) {
            return null; // client left in the middle of a line: nothing to act on
        }
    }

    /** Runs {@code request} and writes its reply; false when the server stops (answered SHUTTING_DOWN). */
    private boolean call(OutputStream out, Dispatcher.Request request) throws IOException {
        synchronized (this) {
            if (server.isStopping() || closed) {
                server.write(
                        out,
                        RpcResponse.failure(
                                request.id(),
                                new ShuttingDownException(
                                                "custodyd is stopping; nothing was done, retry when it is back")
                                        .toRpcError()));
                return false;
            }
            busy = true;
        }
        CallChannel channel = new CallChannel(writeLock, out, caller, dispatcher.mapper());
        try {
            RpcResponse response = Notices.with(channel, () -> execute(request));
            channel.end(); // no notice after the reply
            synchronized (writeLock) {
                server.write(out, response);
            }
        } finally {
            channel.end();
            // Busy until the reply is written: a stop that runs between the method's return and the
            // write must not take the connection for idle and close it under the reply.
            synchronized (this) {
                busy = false;
            }
        }
        return true;
    }

    private RpcResponse execute(Dispatcher.Request request) {
        CallerScheduler scheduler = server.scheduler();
        boolean noGrant = tier == CallerTier.NO_GRANT;
        try {
            scheduler.enter(
                    caller.uid(),
                    noGrant ? limits.noGrant().maxInFlight() : limits.maxInFlightPerCaller(),
                    noGrant ? limits.noGrant().maxQueued() : limits.maxQueuedPerCaller());
        } catch (BusyException e) {
            return RpcResponse.failure(request.id(), e.toRpcError());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RpcResponse.failure(
                    request.id(),
                    new ShuttingDownException("custodyd is stopping; nothing was" + " done").toRpcError());
        }
        try {
            try {
                return dispatcher.execute(caller, request); // on this connection's thread: no hand-off
            } catch (RuntimeException | Error e) {
                return RpcResponse.failure(
                        request.id(),
                        Incidents.internal("internal error in " + request.method(), request.method() + " failed", e)
                                .toRpcError());
            } finally {
                // An interrupt outside a stop (a method left it behind) must not break this connection's next read.
                if (Thread.interrupted() && server.isStopping()) {
                    Thread.currentThread().interrupt();
                }
            }
        } finally {
            scheduler.exit(caller.uid());
            server.countServed();
        }
    }

    private void beforeRead(boolean lineStarted) throws IOException {
        int timeout;
        if (!lineStarted) {
            midLine = false;
            lineDeadline = 0;
            timeout = (int)
                    (tier == CallerTier.NO_GRANT ? limits.noGrant().idleTimeout() : limits.idleTimeout()).toMillis();
        } else {
            midLine = true;
            long now = System.nanoTime();
            if (lineDeadline == 0) {
                Duration read = limits.requestReadTimeout();
                if (tier == CallerTier.NO_GRANT
                        && limits.noGrant().idleTimeout().compareTo(read) < 0) {
                    read = limits.noGrant().idleTimeout(); // no slow lines from a caller that can only be denied
                }
                lineDeadline = now + read.toNanos();
            }
            long remaining = TimeUnit.NANOSECONDS.toMillis(lineDeadline - now);
            if (remaining <= 0) {
                throw new SocketTimeoutException("request line not completed in time");
            }
            timeout = (int) Math.min(Integer.MAX_VALUE, remaining);
        }
        if (timeout != soTimeout) {
            socket.setSoTimeout(timeout);
            soTimeout = timeout;
        }
    }

    synchronized void closeIfIdle() {
        if (!busy) {
            forceClose();
        }
    }

    synchronized void forceClose() {
        if (!closed) {
            closed = true;
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }
}
