package dev.custody.daemon.repo;

import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.audit.AuditRecord;
import dev.custody.daemon.keys.KeyService;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.Decision;
import dev.custody.daemon.rpc.CallerIdentity;
import dev.custody.daemon.state.GunLocks;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.CustodyException;
import dev.custody.tuf.UnsupportedKeyTypeException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.update.NotaryMetaFetcher;
import dev.custody.tuf.update.Updater;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What the repository operations share: per-GUN state under {@code STATE/repos}, the GUN lock every
 * operation holds from its first read to its last write, the configured servers, the verified update,
 * the key ring over the key service, approvals, the audit writer for repository events, and the
 * {@link PublishPipeline} that settles what a crash left before a new online operation on a GUN.
 *
 * <p>The operations themselves are in {@link RepoSetup} (init, adopt, delete), {@link Staging},
 * {@link RepoReads}, {@link Publishing}, {@link Rotations} and {@link PublishPipeline}.
 */
final class Repos {
    private final DaemonContext ctx;
    private final Supplier<KeyService> keys;
    private final NotaryServers servers;
    private final Approvals approvals;
    private final TokenHolderGate holders;
    private final CrashPoints crash;
    private final Path reposDir;
    private final PublishChecks checks;
    private final PublishPipeline pipeline;
    private final BatchStaging batches;

    Repos(DaemonContext ctx, Supplier<KeyService> keys, Map<String, String> env) {
        this.ctx = ctx;
        this.keys = keys;
        this.servers = new NotaryServers(ctx.config().servers());
        this.approvals = new Approvals(ctx.audit(), ctx.clock(), ctx.config().approvalTimeout());
        this.holders = new TokenHolderGate(ctx, keys, approvals);
        this.crash = new CrashPoints(env);
        this.reposDir = ctx.state().root().resolve("repos");
        this.checks = new PublishChecks(ctx, keys);
        this.pipeline = new PublishPipeline(this);
        try {
            this.batches = new BatchStaging(ctx.state().root(), ctx.clock(), crash);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(
                    "cannot clear unfinished batches in " + ctx.state().root(), e);
        }
    }

    /** Batches being received in parts ({@code repo.addBatch} with {@code more}). */
    BatchStaging batches() {
        return batches;
    }

    /**
     * Who asks, the action policy decided on for the request, and what it said (for approvals and the
     * per-change checks; {@link #decide} does not ask again for the same action).
     */
    record Caller(CallerIdentity identity, String method, Action action, Decision decision) {}

    DaemonContext context() {
        return ctx;
    }

    Supplier<KeyService> keys() {
        return keys;
    }

    Approvals approvals() {
        return approvals;
    }

    TokenHolderGate holders() {
        return holders;
    }

    NotaryServers servers() {
        return servers;
    }

    CrashPoints crash() {
        return crash;
    }

    PublishChecks checks() {
        return checks;
    }

    PublishPipeline pipeline() {
        return pipeline;
    }

    RepoState state(String gun) {
        return new RepoState(reposDir, checkGun(gun));
    }

    /** The GUNs with local state (a directory under {@code STATE/repos}), sorted. */
    List<String> knownGuns() {
        if (!Files.isDirectory(reposDir)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(reposDir)) {
            return dirs.filter(Files::isDirectory)
                    .map(d -> URLDecoder.decode(d.getFileName().toString(), StandardCharsets.UTF_8))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    static String checkGun(String gun) {
        if (gun == null
                || !gun.matches("[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}")
                || gun.contains("..")
                || gun.contains("//")
                || gun.endsWith("/")) {
            throw new IllegalArgumentException("params.gun: not a usable GUN: " + gun);
        }
        return gun;
    }

    /**
     * What policy says about {@code a} for this caller: the one place repository operations ask it. The
     * request's own action was decided when the request arrived, and is not asked again.
     */
    Decision decide(Caller c, Action a) {
        if (c.decision() != null && a.equals(c.action())) {
            return c.decision();
        }
        return ctx.policy().decide(c.identity().subject(), a);
    }

    /** Work on one GUN while its lock is held. */
    @FunctionalInterface
    interface Body<T> {
        T run() throws Exception;
    }

    /**
     * Runs an offline {@code body} without the GUN lock: it only reads the changelist (replaced atomically)
     * or changes it under {@link RepoState}'s own short lock, so a server call in progress on the GUN does not
     * hold it up. Failures become socket errors ({@link RepoErrors}).
     */
    <T> T offline(String gun, Body<T> body) throws CustodyException {
        try {
            checkGun(gun);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage(), "params.gun");
        }
        try {
            return body.run();
        } catch (Exception e) {
            throw RepoErrors.of(gun, null, e);
        }
    }

    /**
     * Runs {@code body} holding the GUN lock; with a server, what a crash or an unreachable server left
     * unfinished on the GUN is settled first. Failures become socket errors ({@link RepoErrors}).
     */
    <T> T locked(String gun, NotaryServers.Server srv, Body<T> body) throws CustodyException {
        try {
            checkGun(gun);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage(), "params.gun");
        }
        GunLocks.Held held;
        try {
            held = ctx.locks().lock(gun);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RepoErrors.internal("interrupted while waiting for " + gun, e);
        }
        try {
            if (srv != null) {
                pipeline.settlePending(gun);
            }
            return body.run();
        } catch (Exception e) {
            throw RepoErrors.of(gun, srv == null ? null : srv.name(), e);
        } finally {
            held.close();
        }
    }

    /** The repository as verified from the server now (the trusted copy moves forward). */
    Repository update(RepoState st, NotaryServers.Server srv) throws Exception {
        return update(st, srv, false);
    }

    /** {@link #update(RepoState, NotaryServers.Server)}; with {@code allowExpiredRoot}, an expired root is accepted. */
    Repository update(RepoState st, NotaryServers.Server srv, boolean allowExpiredRoot) throws Exception {
        Updater.Builder b = Updater.builder()
                .gun(st.gun())
                .fetcher(new NotaryMetaFetcher(srv.client(), st.gun()))
                .store(st.store())
                .clock(ctx.clock());
        if (allowExpiredRoot) {
            b.allowExpiredRoot();
        }
        return b.build().update();
    }

    /** Signers from the key service, matched by the bare key's ID (so a root key signs as its certificate). */
    KeyRing ring() {
        KeyService ks = keys.get();
        return key -> {
            String id;
            try {
                id = PublicKeys.canonicalKeyId(key);
            } catch (UnsupportedKeyTypeException e) {
                return Optional.empty();
            }
            return ks.findSigner(id).map(s -> s.keyId().equals(key.id()) ? s : s.as(key));
        };
    }

    void audit(String event, Caller c, String gun, String role, String keyId, Long version) throws IOException {
        audit(event, c, gun, role, keyId, version, null);
    }

    void audit(String event, Caller c, String gun, String role, String keyId, Long version, String hash)
            throws IOException {
        audit(event, c.identity(), c.decision(), gun, role, keyId, version, hash, null);
    }

    /** The audit line of a step of a repository operation that succeeded (the one writer of these lines). */
    void audit(
            String event,
            CallerIdentity who,
            Decision decision,
            String gun,
            String role,
            String keyId,
            Long version,
            String hash,
            String message)
            throws IOException {
        ctx.audit()
                .append(AuditRecord.builder(event)
                        .caller(who.uid(), who.gid(), who.pid())
                        .gun(gun)
                        .role(role)
                        .keyId(keyId)
                        .version(version)
                        .metadataHash(hash)
                        .rule(decision == null ? null : decision.ruleOrNone())
                        .result("ok")
                        .message(message)
                        .build());
    }

    static String sha256Hex(byte[] b) {
        return HexFormat.of().formatHex(sha256(b));
    }

    static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
