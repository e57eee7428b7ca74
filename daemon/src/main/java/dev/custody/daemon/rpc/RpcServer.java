package dev.custody.daemon.rpc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.protocol.BoundedLineReader;
import dev.custody.protocol.BusyException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.LineTooLongException;
import dev.custody.protocol.Protocol;
import dev.custody.protocol.RequestTimeoutException;
import dev.custody.protocol.RequestTooLargeException;
import dev.custody.protocol.RpcResponse;
import dev.custody.protocol.ShuttingDownException;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

/**
 * The Unix-socket JSON-RPC server: newline-delimited JSON-RPC 2.0, one thread per connection
 * (bounded by {@link ServerLimits#maxConnections()}). A method runs on its connection's thread once
 * it holds one of {@link ServerLimits#workerThreads()} execution permits, shared fairly between uids
 * by {@link CallerScheduler} (a uid's requests beyond {@code maxInFlightPerCaller} wait in its queue;
 * BUSY only beyond {@code maxQueuedPerCaller}): no hand-off to another thread per request, which cost
 * more than a {@code ping} itself.
 *
 * <p>Fair share of connections ({@link CallerTier}): a uid that no policy rule grants anything gets
 * {@link ServerLimits.NoGrant} (a few connections, one request at a time, idle connections closed
 * within seconds); any other uid at most {@code maxConnectionsPerCaller}; the last
 * {@link ServerLimits#reservedConnections()} connections are kept for the daemon's uid and the
 * custodians, so no other local user can lock them out.
 *
 * <p>Call sequence: construct → {@link #start()} → … → {@link #stop(Duration)} (or
 * {@link #close()}). Requests on one connection are answered in order, one at a time; while a
 * method runs, it may send its caller notices ({@link Notices}), which always precede the reply.
 *
 * <p>Per connection: the caller's identity is read from SO_PEERCRED once, at accept. A line longer
 * than {@code maxRequestBytes} is answered with REQUEST_TOO_LARGE (id null) and the connection is
 * closed; the reader never holds more than the limit and never acts on a partial line. A line not
 * completed within {@code requestReadTimeout} of its first byte gets REQUEST_TIMEOUT and the
 * connection is closed; a connection silent for {@code idleTimeout} between requests is closed.
 * Malformed requests get BAD_REQUEST and the connection stays usable.
 *
 * <p>Stop: stop accepting → close idle connections → let methods in flight finish and answer for
 * up to the grace period → interrupt what is left and close everything.
 */
public final class RpcServer implements Closeable {
    private static final System.Logger LOG = System.getLogger(RpcServer.class.getName());

    private final ListenSocket listener;
    private final Dispatcher dispatcher;
    private final ServerLimits limits;
    private final ThreadPoolExecutor connectionThreads;
    /** Methods executing at once: {@link ServerLimits#workerThreads()}, shared round robin between uids. */
    private final CallerScheduler scheduler;

    private final CallerTier.Classifier tiers;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    /** Open connections per uid (written by the acceptor and by closing connections). */
    private final Map<Long, Integer> connectionsByUid = new ConcurrentHashMap<>();

    private final java.util.concurrent.atomic.LongAdder served = new java.util.concurrent.atomic.LongAdder();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private Thread acceptor;

    public RpcServer(ListenSocket listener, Dispatcher dispatcher, ServerLimits limits) {
        this(listener, dispatcher, limits, CallerTier.Classifier.ALL_GRANTED);
    }

    /** @param tiers decides each caller's share (custodyd: from the policy; see {@link CallerTier}) */
    public RpcServer(ListenSocket listener, Dispatcher dispatcher, ServerLimits limits, CallerTier.Classifier tiers) {
        this.tiers = Objects.requireNonNull(tiers, "tiers");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
        this.limits = Objects.requireNonNull(limits, "limits");
        // A few spare threads: a closing connection leaves the count a moment before its thread is free.
        // The connection limit itself is enforced by the count in acceptLoop.
        this.connectionThreads = new ThreadPoolExecutor(
                0,
                limits.maxConnections() + 4,
                30,
                TimeUnit.SECONDS,
                new SynchronousQueue<>(),
                threads("custodyd-conn-"));
        this.scheduler = new CallerScheduler(limits.workerThreads());
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    public ServerLimits limits() {
        return limits;
    }

    public ListenSocket listener() {
        return listener;
    }

    /** Starts accepting connections. */
    public synchronized void start() {
        if (acceptor != null) {
            throw new IllegalStateException("already started");
        }
        acceptor = new Thread(this::acceptLoop, "custodyd-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Open connections right now. */
    public int connectionCount() {
        return connections.size();
    }

    /** Whether a stop has begun. */
    public boolean isStopping() {
        return stopping;
    }

    private void acceptLoop() {
        while (!stopping) {
            AFUNIXSocket s;
            try {
                s = listener.serverSocket().accept();
            } catch (IOException e) {
                if (stopping) {
                    break;
                }
                LOG.log(Level.WARNING, "accept failed: " + e.getMessage());
                sleepQuietly(100); // e.g. EMFILE: do not spin
                continue;
            }
            if (stopping) {
                reject(s, new ShuttingDownException("custodyd is stopping; retry when it is back"));
                continue;
            }
            if (connections.size() >= limits.maxConnections()) {
                reject(
                        s,
                        new BusyException(
                                "custodyd has " + limits.maxConnections()
                                        + " connections open (limits.maxConnections); retry later",
                                "maxConnections"));
                continue;
            }
            CallerIdentity caller;
            try {
                caller = identify(s);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "refusing a connection without peer credentials: " + e.getMessage());
                reject(s, Incidents.internal("custodyd cannot determine who you are (SO_PEERCRED)", e));
                continue;
            }
            CallerTier tier;
            try {
                tier = tiers.of(caller);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "cannot classify " + caller + "; treating it as a caller without grants", e);
                tier = CallerTier.NO_GRANT;
            }
            BusyException refused = admit(caller, tier);
            if (refused != null) {
                reject(s, refused);
                continue;
            }
            Connection c = new Connection(s, caller, tier);
            connections.add(c);
            try {
                connectionThreads.execute(c);
            } catch (RejectedExecutionException e) {
                connections.remove(c);
                leave(caller.uid());
                reject(s, new BusyException("custodyd has no free connection thread; retry later", "maxConnections"));
            }
        }
    }

    /** Counts a new connection of {@code caller} against its share, or says which limit refuses it. */
    private BusyException admit(CallerIdentity caller, CallerTier tier) {
        int open = connections.size();
        if (tier != CallerTier.RESERVED && open >= limits.maxConnections() - limits.reservedConnections()) {
            return new BusyException(
                    "custodyd keeps its last " + limits.reservedConnections() + " connections for its own"
                            + " uid and the custodians (limits.maxConnections " + limits.maxConnections()
                            + "); retry later",
                    "maxConnections");
        }
        int perUid = switch (tier) {
            case NO_GRANT -> limits.noGrant().maxConnections();
            case GRANTED -> limits.maxConnectionsPerCaller();
            case RESERVED -> limits.maxConnections();
        };
        boolean[] ok = new boolean[1];
        connectionsByUid.compute(caller.uid(), (k, v) -> {
            int n = v == null ? 0 : v;
            ok[0] = n < perUid;
            return ok[0] ? n + 1 : v;
        });
        if (ok[0]) {
            return null;
        }
        return tier == CallerTier.NO_GRANT
                ? new BusyException(
                        "uid " + caller.uid() + " has " + perUid + " connections open and no policy rule grants"
                                + " it anything (limits.noGrant.maxConnections); close one first",
                        "noGrant.maxConnections")
                : new BusyException(
                        "uid " + caller.uid() + " has " + perUid + " connections open"
                                + " (limits.maxConnectionsPerCaller); close one first",
                        "maxConnectionsPerCaller");
    }

    private void leave(long uid) {
        connectionsByUid.compute(uid, (k, v) -> v == null || v <= 1 ? null : v - 1);
    }

    static CallerIdentity identify(AFUNIXSocket s) throws IOException {
        AFUNIXSocketCredentials cred = s.getPeerCredentials();
        if (cred == null || cred.getUid() < 0 || cred.getGid() < 0) {
            throw new IOException("the kernel gave no peer credentials");
        }
        return new CallerIdentity(
                cred.getUid(),
                cred.getGid(),
                cred.getPid(),
                UnixAccounts.groupsOf(cred.getPid(), cred.getUid(), cred.getGid()));
    }

    private void reject(AFUNIXSocket s, CustodyException why) {
        try (s) {
            write(s.getOutputStream(), RpcResponse.failure(null, why.toRpcError()));
        } catch (IOException e) {
            // the client went away first
        }
    }

    private void write(OutputStream out, RpcResponse response) throws IOException {
        byte[] json = dispatcher.mapper().writeValueAsBytes(response);
        byte[] line = new byte[json.length + 1];
        System.arraycopy(json, 0, line, 0, json.length);
        line[json.length] = '\n';
        out.write(line);
        out.flush();
    }

    /** Requests answered since start (any outcome). */
    public long requestsServed() {
        return served.sum();
    }

    /** Requests of {@code uid} executing right now. */
    public int inFlight(long uid) {
        return scheduler.running(uid);
    }

    /** Requests of {@code uid} waiting for an execution permit right now. */
    public int queued(long uid) {
        return scheduler.waiting(uid);
    }

    /** Connections of {@code uid} open right now. */
    public int connectionCount(long uid) {
        return connectionsByUid.getOrDefault(uid, 0);
    }

    /**
     * Stops the server: no new connections, idle connections closed, methods in flight get up to
     * {@code grace} to finish and answer, then are interrupted. Idempotent; returns when stopped.
     */
    public void stop(Duration grace) {
        boolean first;
        synchronized (this) {
            first = !stopping;
            stopping = true;
        }
        if (!first) {
            awaitQuietly(); // outside the monitor: the first stop takes it again to read the acceptor
            return;
        }
        try {
            listener.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "closing the listening socket: " + e.getMessage());
        }
        for (Connection c : connections) {
            c.closeIfIdle();
        }
        connectionThreads.shutdown();
        try {
            if (!connectionThreads.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.log(
                        Level.WARNING,
                        connections.size() + " request(s) still running after " + grace + "; interrupting them");
                for (Connection c : connections) {
                    c.forceClose();
                }
                connectionThreads.shutdownNow();
                connectionThreads.awaitTermination(5, TimeUnit.SECONDS);
            }
            Thread a;
            synchronized (this) {
                a = acceptor;
            }
            if (a != null) {
                a.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            stopped.countDown();
        }
    }

    /** Waits until a stop has completed. */
    public boolean awaitStopped(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void awaitQuietly() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop(limits.shutdownGrace());
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One client connection, served by one thread. */
    private final class Connection implements Runnable {
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

        Connection(AFUNIXSocket socket, CallerIdentity caller, CallerTier tier) {
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
                connections.remove(this);
                leave(caller.uid());
                forceClose();
            }
        }

        private void serve() throws IOException {
            OutputStream out = socket.getOutputStream();
            BoundedLineReader reader =
                    new BoundedLineReader(socket.getInputStream(), limits.maxRequestBytes(), this::beforeRead);
            while (true) {
                byte[] line;
                try {
                    line = reader.readLine();
                } catch (LineTooLongException e) {
                    write(
                            out,
                            RpcResponse.failure(
                                    null,
                                    new RequestTooLargeException(
                                                    "request line exceeds "
                                                            + limits.maxRequestBytes()
                                                            + " bytes (limits.maxRequestBytes); the connection is closed and nothing"
                                                            + " was done",
                                                    limits.maxRequestBytes())
                                            .toRpcError()));
                    return;
                } catch (SocketTimeoutException e) {
                    if (midLine) {
                        write(
                                out,
                                RpcResponse.failure(
                                        null,
                                        new RequestTimeoutException(
                                                        "request line not completed within "
                                                                + limits.requestReadTimeout()
                                                                        .toMillis()
                                                                + " ms (limits.requestReadTimeout); the connection is"
                                                                + " closed and nothing was done",
                                                        limits.requestReadTimeout()
                                                                .toMillis())
                                                .toRpcError()));
                    }
                    return;
                } catch (EOFException e) {
                    return; // client left in the middle of a line: nothing to act on
                }
                if (line == null) {
                    return;
                }
                if (isBlank(line)) {
                    continue;
                }
                Dispatcher.Parsed parsed = dispatcher.parse(line);
                if (parsed.error() != null) {
                    write(out, parsed.error());
                    continue;
                }
                Dispatcher.Request request = parsed.request();
                synchronized (this) {
                    if (stopping || closed) {
                        write(
                                out,
                                RpcResponse.failure(
                                        request.id(),
                                        new ShuttingDownException(
                                                        "custodyd is stopping; nothing was done, retry when it is back")
                                                .toRpcError()));
                        return;
                    }
                    busy = true;
                }
                CallChannel channel = new CallChannel(out);
                try {
                    RpcResponse response = Notices.with(channel, () -> execute(request));
                    channel.end(); // no notice after the reply
                    synchronized (writeLock) {
                        write(out, response);
                    }
                } finally {
                    channel.end();
                    // Busy until the reply is written: a stop that runs between the method's return and the
                    // write must not take the connection for idle and close it under the reply.
                    synchronized (this) {
                        busy = false;
                    }
                }
                if (stopping) {
                    return;
                }
            }
        }

        private RpcResponse execute(Dispatcher.Request request) {
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
                    if (Thread.interrupted() && stopping) {
                        Thread.currentThread().interrupt();
                    }
                }
            } finally {
                scheduler.exit(caller.uid());
                served.increment();
            }
        }

        private void beforeRead(boolean lineStarted) throws IOException {
            int timeout;
            if (!lineStarted) {
                midLine = false;
                lineDeadline = 0;
                timeout = (int) (tier == CallerTier.NO_GRANT ? limits.noGrant().idleTimeout() : limits.idleTimeout())
                        .toMillis();
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

        /**
         * The {@link Notices.Channel} of one call on this connection: writes notice lines until
         * {@link #end()}, which the connection calls before it writes the reply.
         */
        private final class CallChannel implements Notices.Channel {
            private final OutputStream out;
            private boolean ended; // guarded by writeLock

            CallChannel(OutputStream out) {
                this.out = out;
            }

            @Override
            public CallerIdentity caller() {
                return caller;
            }

            @Override
            public boolean send(String kind, ObjectNode fields) {
                ObjectNode line = dispatcher
                        .mapper()
                        .createObjectNode()
                        .put("jsonrpc", Protocol.JSONRPC_VERSION)
                        .put("method", Notices.METHOD);
                ObjectNode params = line.putObject("params").put("kind", kind);
                fields.fields().forEachRemaining(f -> {
                    if (!f.getKey().equals("kind")) {
                        params.set(f.getKey(), f.getValue());
                    }
                });
                synchronized (writeLock) {
                    if (ended) {
                        return false;
                    }
                    try {
                        byte[] json = dispatcher.mapper().writeValueAsBytes(line);
                        byte[] bytes = Arrays.copyOf(json, json.length + 1);
                        bytes[json.length] = '\n';
                        out.write(bytes);
                        out.flush();
                        return true;
                    } catch (IOException e) {
                        ended = true; // the reply write will fail the same way and end the connection
                        LOG.log(Level.DEBUG, "notice to " + caller + " not sent: " + e.getMessage());
                        return false;
                    }
                }
            }

            void end() {
                synchronized (writeLock) {
                    ended = true;
                }
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
