package dev.custody.daemon.rpc;

import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.protocol.BusyException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.RpcResponse;
import dev.custody.protocol.ShuttingDownException;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.time.Duration;
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
    private final Set<RpcConnection> connections = ConcurrentHashMap.newKeySet();
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
                Quietly.sleep(100); // e.g. EMFILE: do not spin
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
            RpcConnection c = new RpcConnection(this, s, caller, tier);
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

    /** Writes {@code response} as one line. */
    void write(OutputStream out, RpcResponse response) throws IOException {
        byte[] json = dispatcher.mapper().writeValueAsBytes(response);
        byte[] line = new byte[json.length + 1];
        System.arraycopy(json, 0, line, 0, json.length);
        line[json.length] = '\n';
        out.write(line);
        out.flush();
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    CallerScheduler scheduler() {
        return scheduler;
    }

    /** A request was answered (any outcome). */
    void countServed() {
        served.increment();
    }

    /** {@code c} of {@code uid} has ended: it no longer counts against the limits. */
    void closed(RpcConnection c, long uid) {
        connections.remove(c);
        leave(uid);
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
            Quietly.await(stopped); // outside the monitor: the first stop takes it again to read the acceptor
            return;
        }
        try {
            listener.close();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "closing the listening socket: " + e.getMessage());
        }
        for (RpcConnection c : connections) {
            c.closeIfIdle();
        }
        connectionThreads.shutdown();
        try {
            if (!connectionThreads.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.log(
                        Level.WARNING,
                        connections.size() + " request(s) still running after " + grace + "; interrupting them");
                for (RpcConnection c : connections) {
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

    @Override
    public void close() {
        stop(limits.shutdownGrace());
    }
}
