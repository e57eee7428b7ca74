package dev.custody.daemon;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.audit.AuditHead;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.audit.AuditMethods;
import dev.custody.daemon.audit.AuditRecord;
import dev.custody.daemon.audit.DeniedCoalescer;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.daemon.policy.Policy;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.rpc.CallerTier;
import dev.custody.daemon.rpc.Dispatcher;
import dev.custody.daemon.rpc.ListenSocket;
import dev.custody.daemon.rpc.MethodRegistry;
import dev.custody.daemon.rpc.Quietly;
import dev.custody.daemon.rpc.RpcServer;
import dev.custody.daemon.rpc.SdNotify;
import dev.custody.daemon.state.GunLocks;
import dev.custody.daemon.state.Journal;
import dev.custody.daemon.state.PendingOperation;
import dev.custody.daemon.state.StateDirectory;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;

/**
 * A running custodyd.
 *
 * <p>Start sequence ({@link #start}): lock the state directory → open the audit log (continuing its
 * chain) → open the journal → build the policy → register built-in methods, then each extension's →
 * offer unfinished journaled operations to the extensions → take the socket from systemd or bind it
 * → serve → audit {@code daemon.start} → {@code READY=1}. A failure at any step closes what was
 * opened and throws.
 *
 * <p>Stop ({@link #stop}, from the SIGTERM hook): {@code STOPPING=1} → stop the server (methods in
 * flight finish within {@code limits.shutdownGrace}) → close extensions → audit {@code daemon.stop}
 * → close the audit log (recording its head) → release the state directory.
 */
public final class Daemon implements Closeable {
    private static final System.Logger LOG = System.getLogger(Daemon.class.getName());

    private final DaemonContext context;
    private final RpcServer server;
    private final List<DaemonExtension> extensions;
    private final Optional<SdNotify> notify;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private boolean stopping; // guarded by this
    /** Denied requests counted per caller and interval; flushed at stop, before the audit log closes. */
    private volatile DeniedCoalescer denied;
    /** Gives memory back after a burst of requests (a full collection once the socket is quiet). */
    private volatile IdleTrim idleTrim;

    static final long IDLE_TRIM_SECONDS = 15;
    /** The interval over which a caller's denied requests share one audit line (the first has its own). */
    static final Duration DENIED_AUDIT_INTERVAL = Duration.ofSeconds(10);

    private Daemon(
            DaemonContext context, RpcServer server, List<DaemonExtension> extensions, Optional<SdNotify> notify) {
        this.context = context;
        this.server = server;
        this.extensions = extensions;
        this.notify = notify;
    }

    /**
     * Starts a daemon.
     *
     * @param env the process environment (socket activation and NOTIFY_SOCKET are read from it)
     * @param extensions installed in order, after the built-in methods
     */
    public static Daemon start(
            DaemonConfig config, Map<String, String> env, List<DaemonExtension> extensions, Clock clock)
            throws Exception {
        Objects.requireNonNull(config, "config");
        List<Closeable> opened = new ArrayList<>();
        List<DaemonExtension> installed = new ArrayList<>();
        try {
            StateDirectory state = StateDirectory.open(config.stateDir());
            opened.add(state);
            AuditLog audit = openAudit(config, clock);
            opened.add(audit);
            Journal journal = Journal.open(state.journalDir(), clock);
            Policy policy = loadPolicy(config);
            MethodRegistry methods = new MethodRegistry();
            DaemonContext ctx = new DaemonContext(
                    config, state, journal, audit, new GunLocks(), policy, methods, clock, clock.instant());
            ListenSocket[] listenerRef = new ListenSocket[1];
            new BuiltinMethods(ctx, () -> listenerRef[0] != null && listenerRef[0].activated(), installed).register();
            new AuditMethods(audit).register(methods);
            new PolicyMethods(ctx).register();
            for (DaemonExtension e : extensions) {
                e.install(ctx);
                installed.add(e);
                LOG.log(Level.INFO, "extension " + e.name() + " installed");
            }
            recover(ctx, installed);
            Optional<ListenSocket> inherited =
                    ListenSocket.fromSystemd(env, ProcessHandle.current().pid());
            ListenSocket listener = inherited.isPresent() ? inherited.get() : bind(config);
            listenerRef[0] = listener;
            opened.add(listener);
            DeniedCoalescer denied = new DeniedCoalescer(audit, clock, DENIED_AUDIT_INTERVAL);
            opened.add(denied);
            RpcServer server = new RpcServer(
                    listener,
                    new Dispatcher(methods, new PolicyAuditHook(policy, audit, denied)),
                    config.limits(),
                    tiers(
                            policy,
                            UnixAccounts.selfUid(),
                            UnixAccounts.gidOf(config.policy().custodianGroup())));
            server.start();
            opened.add(server);
            String where = listener.activated()
                    ? "socket from systemd"
                    : listener.path().map(Object::toString).orElse("?");
            auditStart(audit, where, policy, journal);
            Optional<SdNotify> notify = SdNotify.fromEnvironment(env);
            Daemon daemon = new Daemon(ctx, server, List.copyOf(installed), notify);
            daemon.denied = denied;
            daemon.idleTrim = new IdleTrim(server::requestsServed, IDLE_TRIM_SECONDS);
            LOG.log(
                    Level.INFO,
                    "custodyd " + Version.get() + " serving on " + where + " (pid "
                            + ProcessHandle.current().pid() + ")");
            if (notify.isPresent()) {
                notify.get().ready("serving on " + where);
            }
            return daemon;
        } catch (Exception | Error e) {
            closeAfterFailedStart(e, installed, opened);
            throw e;
        }
    }

    /** Opens the audit log and says where it continues. */
    private static AuditLog openAudit(DaemonConfig config, Clock clock) throws IOException {
        AuditLog audit = AuditLog.open(config.auditLog(), clock);
        AuditHead head = audit.head();
        LOG.log(
                Level.INFO,
                "audit log " + audit.file() + " continues at line " + (head.seq() + 1) + " (head " + head.hash() + ")");
        return audit;
    }

    /** The configured policy; says so in the log when it is the default one. */
    private static Policy loadPolicy(DaemonConfig config) {
        Policy policy = config.policy().toPolicy(UnixAccounts.selfUid());
        if (policy.isDefault()) {
            LOG.log(
                    Level.INFO,
                    "no policy rules configured: only uid " + UnixAccounts.selfUid() + " and group '"
                            + config.policy().custodianGroup() + "'"
                            + (policy.rules().size() < 2 ? " (which does not exist)" : "")
                            + " may do anything");
        }
        return policy;
    }

    /** The configured socket, when systemd did not hand one over. */
    private static ListenSocket bind(DaemonConfig config) throws IOException {
        return ListenSocket.bind(
                config.socket().path(), config.socket().mode(), config.socket().findGroup());
    }

    /** The {@code daemon.start} audit line. */
    private static void auditStart(AuditLog audit, String where, Policy policy, Journal journal) throws IOException {
        ObjectNode d = JsonNodeFactory.instance
                .objectNode()
                .put("version", Version.get())
                .put("socket", where)
                .put("policyRules", policy.rules().size())
                .put("pendingOperations", journal.pending().size());
        audit.append(AuditRecord.builder("daemon.start")
                .caller(
                        UnixAccounts.selfUid(),
                        UnixAccounts.selfGid(),
                        ProcessHandle.current().pid())
                .result("ok")
                .details(d)
                .build());
    }

    /** Closes what a failed start had opened, newest first; close failures are suppressed into {@code e}. */
    private static void closeAfterFailedStart(Throwable e, List<DaemonExtension> installed, List<Closeable> opened) {
        for (int i = installed.size() - 1; i >= 0; i--) {
            closeQuietly(installed.get(i));
        }
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
        }
    }

    private static void recover(DaemonContext ctx, List<DaemonExtension> extensions) {
        for (PendingOperation op : ctx.journal().pending()) {
            boolean handled = false;
            for (DaemonExtension e : extensions) {
                try {
                    if (e.recover(ctx, op)) {
                        handled = true;
                        LOG.log(
                                Level.INFO,
                                "extension " + e.name() + " recovered " + op.type() + " " + op.id() + " on "
                                        + op.gun());
                        break;
                    }
                } catch (Exception ex) {
                    LOG.log(
                            Level.ERROR,
                            "extension " + e.name() + " failed to recover " + op.type() + " " + op.id()
                                    + "; it stays pending",
                            ex);
                    handled = true; // do not offer a half-recovered operation to another extension
                    break;
                }
            }
            if (!handled) {
                LOG.log(
                        Level.WARNING,
                        "unfinished " + op.type() + " " + op.id() + " on " + op.gun() + " (last step: "
                                + op.lastStep().map(s -> s.name()).orElse("none")
                                + ") has no recovery handler; it stays pending");
            }
        }
    }

    public DaemonContext context() {
        return context;
    }

    public RpcServer server() {
        return server;
    }

    /**
     * The socket server's tiers: the daemon's uid and the custodian group's members are kept capacity,
     * a uid that no rule grants anything gets the small no-grant share.
     */
    static CallerTier.Classifier tiers(Policy policy, long daemonUid, OptionalLong custodianGid) {
        return c -> {
            if (c.uid() == daemonUid
                    || (custodianGid.isPresent()
                            && (c.gid() == custodianGid.getAsLong()
                                    || c.groups().contains(custodianGid.getAsLong())))) {
                return CallerTier.RESERVED;
            }
            return policy.grantsAnything(c.subject()) ? CallerTier.GRANTED : CallerTier.NO_GRANT;
        };
    }

    /** Stops the daemon (idempotent; a second caller waits for the first). */
    public void stop() {
        synchronized (this) {
            if (stopping) {
                Quietly.await(stopped);
                return;
            }
            stopping = true;
        }
        try {
            LOG.log(
                    Level.INFO,
                    "stopping: finishing requests in flight (up to "
                            + context.config().limits().shutdownGrace() + ")");
            notify.ifPresent(n -> {
                try {
                    n.stopping("stopping");
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "sd_notify STOPPING failed: " + e.getMessage());
                }
            });
            server.stop(context.config().limits().shutdownGrace());
            for (int i = extensions.size() - 1; i >= 0; i--) {
                closeQuietly(extensions.get(i));
            }
            IdleTrim trim = this.idleTrim;
            if (trim != null) {
                trim.close();
            }
            DeniedCoalescer denied = this.denied;
            if (denied != null) {
                denied.close(); // the counts of denied requests not yet written
            }
            try {
                context.audit()
                        .append(AuditRecord.builder("daemon.stop")
                                .caller(
                                        UnixAccounts.selfUid(),
                                        UnixAccounts.selfGid(),
                                        ProcessHandle.current().pid())
                                .result("ok")
                                .build());
                AuditHead head = context.audit().head();
                context.audit().close();
                LOG.log(Level.INFO, "audit log closed at line " + head.seq() + " (head " + head.hash() + ")");
            } catch (IOException e) {
                LOG.log(Level.ERROR, "closing the audit log failed: " + e.getMessage(), e);
            }
            try {
                context.state().close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "releasing the state directory: " + e.getMessage());
            }
            notify.ifPresent(n -> {
                try {
                    n.close();
                } catch (IOException ignored) {
                    // nothing left to tell systemd
                }
            });
            LOG.log(Level.INFO, "stopped");
        } finally {
            stopped.countDown();
        }
    }

    /** Blocks until {@link #stop} has completed. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    @Override
    public void close() {
        stop();
    }

    private static void closeQuietly(DaemonExtension e) {
        try {
            e.close();
        } catch (Exception ex) {
            LOG.log(Level.WARNING, "closing extension " + e.name() + ": " + ex.getMessage());
        }
    }
}
