package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.audit.AuditRecord;
import dev.custody.daemon.keys.KeyService;
import dev.custody.daemon.state.GunLocks;
import dev.custody.daemon.state.JournalStep;
import dev.custody.daemon.state.PendingOperation;
import dev.custody.protocol.results.Published;
import dev.custody.protocol.results.Results;
import dev.custody.tuf.TufException;
import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.repo.PublishSet;
import dev.custody.tuf.repo.RepoEditor;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The journaled publish pipeline, shared by {@link Publishing}, {@link Rotations} and the ceremony's
 * publish ({@link #journaledPublish}). Its caller holds the GUN lock.
 *
 * <p>A publish (and every rotation) runs as one journaled operation: {@code planned} → (rotations:
 * {@code key-created}) → approval when policy requires one → sign → signed files written to
 * {@code inflight/} → {@code signed} → {@code posting} → POST → {@code posted} → trusted copy updated
 * from the server, changelist trimmed → {@code committed} → complete. {@link #recover} finishes an
 * operation that has its signed files (checking the server first when the POST may have happened)
 * and rolls back one that has not; so nothing is published twice and no staged change is lost.
 *
 * <p>Before signing, the daemon checks that it signs only what it built from the trusted metadata and
 * the staged changes: every staged change is allowed by policy for the caller who publishes, only
 * the roles those changes touch are re-signed, each version is the trusted one plus one, and a
 * targets role's delegations change only through a staged delegation change.
 */
final class PublishPipeline {
    private static final System.Logger LOG = System.getLogger(PublishPipeline.class.getName());
    static final String OP_PUBLISH = "publish";
    static final String OP_ROTATE = "rotate";
    /** A ceremony bundle's publish ({@code ceremony.publish}): the same steps as a publish, without staged changes. */
    static final String OP_CEREMONY = "ceremony-publish";

    private final Repos repos;
    private final DaemonContext ctx;
    private final Supplier<KeyService> keys;
    private final CrashPoints crash;

    PublishPipeline(Repos repos) {
        this.repos = repos;
        this.ctx = repos.context();
        this.keys = repos.keys();
        this.crash = repos.crash();
    }

    /** The repository to edit: verified from the server, or the one a {@code repo.init} prepared. */
    record Base(RepoEditor editor, Repository trusted, boolean init) {}

    /**
     * Approval (when required) → sign → check → journal → POST → commit. {@code opId} is an operation
     * already begun (rotations) or null (a new publish operation is begun here).
     */
    Published signAndSend(
            String opType,
            Repos.Caller c,
            RepoState st,
            NotaryServers.Server srv,
            Base base,
            RepoEditor ed,
            ObjectNode plan,
            List<Change> changes,
            String rootSummary,
            String opId)
            throws Exception {
        String gun = st.gun();
        // property 6: nothing that could not be read back; refused before any approval or signature
        RoleSizes.checkUnsigned(gun, ed);
        // a policy approval covers the whole publish: an attempt after another writer's does not ask again
        boolean needsApproval = c.decision() != null
                && c.decision().approvalRequired()
                && plan.path("attempt").asInt(1) == 1;
        if (needsApproval) {
            String summary = rootSummary != null
                    ? rootSummary
                    : gun + ": sign " + String.join(", ", ed.changedRoles()) + " (" + changes.size()
                            + " staged changes)";
            repos.approvals()
                    .await(c.identity(), c.method(), gun, ed.changedRoles().contains("root") ? "root" : null, summary);
        }
        // token holders: keys on a token with holders sign only after its holders approved (k of a k-of-n root)
        KeyRing ring = repos.holders()
                .gate(
                        c.identity(),
                        c.method(),
                        gun,
                        rootSummary != null ? rootSummary : gun + ": sign " + String.join(", ", ed.changedRoles()),
                        repos.ring(),
                        needs(base, ed));
        if (opId == null) {
            opId = ctx.journal().begin(opType, gun, plan);
            crash.reached(opType, "planned");
        }
        String id = opId;
        return signThenSend(opType, id, st, srv, plan, () -> {
            long t0 = System.nanoTime();
            PublishSet ps = ed.buildPublish(ring);
            RoleSizes.checkSigned(gun, ps.files());
            long t1 = System.nanoTime();
            Map<String, Integer> versions = repos.checks().checkBuilt(gun, base, ps, changes, OP_ROTATE.equals(opType));
            st.writeInflight(id, ps.files());
            ObjectNode signed = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, byte[]> e : ps.files().entrySet()) {
                String hash = Repos.sha256Hex(e.getValue());
                signed.putObject(e.getKey()).put("sha256", hash).put("version", versions.get(e.getKey()));
                repos.audit("metadata.sign", c, gun, e.getKey(), null, (long) versions.get(e.getKey()), hash);
            }
            ctx.journal().step(id, "signed", signed);
            LOG.log(
                    Level.INFO,
                    gun + ": " + opType + " " + id + " signed " + versions + " in " + (t1 - t0) / 1_000_000
                            + " ms, checked and journaled in " + (System.nanoTime() - t1) / 1_000_000 + " ms");
        });
    }

    /** Writes a journaled operation's signed files to {@code inflight/} and journals its {@code signed} step. */
    @FunctionalInterface
    private interface SignStep {
        void run() throws Exception;
    }

    /**
     * Runs {@code sign} for the journaled operation {@code opId}, then sends and commits it; if signing
     * fails, nothing was sent: the operation is aborted and its in-flight files removed.
     */
    private Published signThenSend(
            String opType, String opId, RepoState st, NotaryServers.Server srv, ObjectNode plan, SignStep sign)
            throws Exception {
        try {
            sign.run();
            crash.reached(opType, "signed");
        } catch (Exception e) {
            abortIfOpen(opId, "nothing was sent: " + e.getMessage());
            st.deleteInflight(opId);
            throw e;
        }
        return sendAndCommit(opType, opId, st, srv, plan, false);
    }

    /**
     * A ceremony's publish as one journaled operation of type {@link #OP_CEREMONY}: {@code planned} →
     * {@code build} (checks the bundle against the server, signs the online roles) → signed files in
     * {@code inflight/} → {@code signed} → {@code posting} → POST → {@code posted} → trusted copy updated
     * (and, with {@code assignOnlineKeys} in the plan, the new root's targets/snapshot keys this daemon
     * holds recorded for the GUN) → {@code committed}. Recovery is {@link #recover}'s, as for a publish.
     * The caller holds the GUN lock.
     */
    Published journaledPublish(
            String opType, RepoState st, NotaryServers.Server srv, ObjectNode plan, RepoShared.SignedFiles build)
            throws Exception {
        String gun = st.gun();
        plan.put("server", srv.name());
        if (!plan.has("maxSeq")) {
            plan.put("maxSeq", -1);
        }
        String opId = ctx.journal().begin(opType, gun, plan);
        crash.reached(opType, "planned");
        return signThenSend(opType, opId, st, srv, plan, () -> {
            Map<String, byte[]> files = build.build();
            if (files.isEmpty()) {
                throw new IllegalStateException("nothing to publish");
            }
            RoleSizes.checkSigned(gun, files);
            st.writeInflight(opId, files);
            ObjectNode signed = JsonNodeFactory.instance.objectNode();
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                signed.putObject(e.getKey())
                        .put("sha256", Repos.sha256Hex(e.getValue()))
                        .put("version", Signed.versionOf(e.getValue(), e.getKey()));
            }
            ctx.journal().step(opId, "signed", signed);
        });
    }

    /** Whether operations of this journal type are this service's to resume or roll back. */
    private static boolean journaledHere(String type) {
        return type.equals(OP_PUBLISH) || type.equals(OP_ROTATE) || type.equals(OP_CEREMONY);
    }

    /** Records the targets/snapshot keys of {@code root} that this daemon holds as serving {@code gun}. */
    private void assignOnlineKeys(String gun, Root root) throws IOException {
        KeyService ks = keys.get();
        for (String role : List.of("targets", "snapshot")) {
            for (String id : root.keysOf(role).keySet()) {
                if (ks.findSigner(id).isPresent()) {
                    ks.assign(id, role, gun);
                }
            }
        }
    }

    /**
     * What {@link RepoEditor#buildPublish} signs, as the token-holder gate's needs: a changed root by a
     * threshold of its new root keys and, once published, of the current root's; each changed targets
     * role or delegation by its keys; the snapshot by its keys if this daemon holds any (else the server).
     */
    private static List<TokenHolderGate.Need> needs(Base base, RepoEditor ed) {
        List<TokenHolderGate.Need> out = new ArrayList<>();
        Root next = ed.root();
        for (String role : ed.changedRoles()) {
            switch (role) {
                case "root" -> {
                    out.add(new TokenHolderGate.Need(
                            "root",
                            next.keysOf("root").values(),
                            next.role("root").threshold()));
                    if (base.trusted() != null) {
                        Root now = base.trusted().root().signed();
                        out.add(new TokenHolderGate.Need(
                                "root",
                                now.keysOf("root").values(),
                                now.role("root").threshold()));
                    }
                }
                case "snapshot" ->
                    out.add(new TokenHolderGate.Need(
                            "snapshot",
                            next.keysOf("snapshot").values(),
                            next.role("snapshot").threshold(),
                            Set.of(),
                            true));
                case "targets" ->
                    out.add(new TokenHolderGate.Need(
                            "targets",
                            next.keysOf("targets").values(),
                            next.role("targets").threshold()));
                default ->
                    ed.targets(DelegatedRole.parentOf(role))
                            .flatMap(p -> p.delegationsOrEmpty().role(role).map(d -> {
                                List<TufKey> ks = new ArrayList<>();
                                d.keyIds()
                                        .forEach(id -> Optional.ofNullable(p.delegationsOrEmpty()
                                                        .keys()
                                                        .get(id))
                                                .ifPresent(ks::add));
                                return new TokenHolderGate.Need(role, ks, d.threshold());
                            }))
                            .ifPresent(out::add);
            }
        }
        return out;
    }

    /** From signed files on disk: POST (unless it happened), then commit; also the resume path of {@link #recover}. */
    private Published sendAndCommit(
            String opType,
            String opId,
            RepoState st,
            NotaryServers.Server srv,
            JsonNode plan,
            boolean postMayHaveHappened)
            throws Exception {
        String gun = st.gun();
        Map<String, byte[]> files = st.readInflight(opId);
        boolean posted = false;
        int baseTs = plan.path("baseTimestamp").asInt(-1);
        if (postMayHaveHappened) {
            ReadBack.Result rb = readBack(st, srv, files, baseTs);
            if (rb.verdict() == ReadBack.Verdict.SUPERSEDED) {
                ctx.journal()
                        .abort(
                                opId,
                                "superseded: another writer published first (" + rb.detail() + "); nothing of"
                                        + " this publish is on the server, staged changes are kept");
                st.deleteInflight(opId);
                throw new SupersededException(rb.detail(), null);
            }
            posted = rb.verdict() == ReadBack.Verdict.STORED;
        }
        if (!posted) {
            ctx.journal().step(opId, "posting", null);
            crash.reached(opType, "posting");
            long t0 = System.nanoTime();
            try {
                srv.client().publish(gun, files);
                LOG.log(
                        Level.INFO,
                        gun + ": " + opType + " " + opId + " POST accepted in " + (System.nanoTime() - t0) / 1_000_000
                                + " ms");
            } catch (IOException e) {
                refused(opType, opId, st, srv, files, baseTs, e);
            }
            crash.reached(opType, "after-post");
            verifyStored(opId, st, srv, files, baseTs);
        }
        ctx.journal().step(opId, "posted", null);
        crash.reached(opType, "posted");
        return commit(opType, opId, st, srv, plan, files);
    }

    /**
     * The POST failed: a VERSION refusal, or any failure after which the server shows another writer's
     * version, closes this attempt as superseded (the caller may build it again); a failure after which
     * the server shows ours counts as sent; otherwise the attempt ends with the server's error. When
     * the server cannot be read either, the operation stays open in the journal and the next operation
     * on the GUN (or the next start) settles it.
     */
    private void refused(
            String opType,
            String opId,
            RepoState st,
            NotaryServers.Server srv,
            Map<String, byte[]> files,
            int baseTs,
            IOException e)
            throws Exception {
        ReadBack.Result rb;
        try {
            rb = readBack(st, srv, files, baseTs);
        } catch (IOException again) {
            throw e;
        }
        boolean versionRefusal = e instanceof dev.custody.tuf.server.NotaryServerException n
                && n.code() == dev.custody.tuf.server.NotaryServerException.Code.CONFLICT;
        if (rb.verdict() == ReadBack.Verdict.STORED) {
            return;
        }
        if (rb.verdict() == ReadBack.Verdict.SUPERSEDED || versionRefusal) {
            ctx.journal()
                    .abort(
                            opId,
                            "superseded: the server refused this " + opType + " (" + e.getMessage() + ")"
                                    + (rb.detail().isEmpty() ? "" : " and serves " + rb.detail())
                                    + "; staged changes are kept");
            st.deleteInflight(opId);
            throw new SupersededException(
                    "the server refused it as out of date" + (rb.detail().isEmpty() ? "" : ": " + rb.detail()), e);
        }
        ctx.journal()
                .abort(
                        opId,
                        "the server refused the " + opType + ": " + e.getMessage() + "; staged changes are" + " kept");
        st.deleteInflight(opId);
        throw e;
    }

    /**
     * After the server answered the POST with success: a publish is done only when the server serves
     * it. Read back (timestamp → snapshot → the roles sent); another writer's version supersedes this
     * attempt, the old state means the server did not store it (METADATA_INVALID, staged changes kept,
     * the journal says so), an unreadable server leaves the operation open (SERVER_UNREACHABLE).
     */
    private void verifyStored(
            String opId, RepoState st, NotaryServers.Server srv, Map<String, byte[]> files, int baseTs)
            throws Exception {
        String gun = st.gun();
        ReadBack.Result rb;
        try {
            rb = readBack(st, srv, files, baseTs);
        } catch (IOException e) {
            throw new dev.custody.protocol.ServerUnreachableException(
                    srv.name(),
                    gun + ": the server accepted the"
                            + " publish but cannot be read back (" + e.getMessage()
                            + "); it stays open in the journal and the next"
                            + " command on " + gun
                            + " (or custodyd's next start) checks the server and finishes or undoes it");
        }
        switch (rb.verdict()) {
            case STORED -> {}
            case SUPERSEDED -> {
                ctx.journal()
                        .abort(
                                opId,
                                "superseded: the server answered the POST with success but serves another"
                                        + " writer's version (" + rb.detail() + "); staged changes are kept");
                st.deleteInflight(opId);
                throw new SupersededException("the server took another writer's version: " + rb.detail(), null);
            }
            case NOT_STORED -> {
                ctx.journal()
                        .abort(
                                opId,
                                "not stored: the server answered the POST with success but serves what it served"
                                        + " before (" + rb.detail()
                                        + "); nothing was published, staged changes are kept");
                st.deleteInflight(opId);
                throw new dev.custody.protocol.MetadataInvalidException(
                        null,
                        gun + ": " + srv.name() + " answered the"
                                + " publish with success but did not store it: it still serves " + rb.detail()
                                + ". Nothing was"
                                + " published; the changes stay staged (custody status " + gun + ")");
            }
            default -> throw new IllegalStateException();
        }
    }

    /** {@link ReadBack} against {@code srv}; the base timestamp from the plan, or the trusted copy's. */
    private ReadBack.Result readBack(RepoState st, NotaryServers.Server srv, Map<String, byte[]> files, int baseTs)
            throws IOException {
        int base = baseTs;
        if (base < 0) {
            try {
                Optional<byte[]> ts = st.store().find(st.gun(), "timestamp");
                base = ts.isEmpty() ? 0 : Signed.parse(ts.get(), "timestamp").version();
            } catch (TufException e) {
                base = 0;
            }
        }
        return new ReadBack(srv.client(), st.gun()).check(files, base);
    }

    private Published commit(
            String opType,
            String opId,
            RepoState st,
            NotaryServers.Server srv,
            JsonNode plan,
            Map<String, byte[]> files)
            throws IOException {
        String gun = st.gun();
        if (plan.path("init").asBoolean() && !st.hasTrustedRoot() && files.containsKey("root")) {
            // the server accepted our root: it is the trust anchor from now on (no TOFU)
            st.store().commit(gun, Map.of("root", files.get("root")), Set.of());
        }
        Repository now = null;
        long t0 = System.nanoTime();
        try {
            now = repos.update(st, srv);
            LOG.log(
                    Level.INFO,
                    gun + ": trusted copy updated from the server in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (Exception e) {
            LOG.log(
                    Level.WARNING,
                    gun + ": published, but the update afterwards failed (" + e.getMessage()
                            + "); the trusted copy catches up at the next update");
        }
        if (plan.path("assignOnlineKeys").asBoolean() && now != null) {
            assignOnlineKeys(gun, now.root().signed());
        }
        long maxSeq = plan.path("maxSeq").asLong(-1);
        if (plan.has("seqs")) {
            Set<Long> seqs = new java.util.HashSet<>();
            plan.get("seqs").forEach(n -> seqs.add(n.asLong()));
            st.dropChanges(seqs);
        } else if (maxSeq > 0) {
            st.dropChanges(maxSeq);
        }
        if (plan.path("init").asBoolean()) {
            Optional<ObjectNode> info = st.info();
            if (info.isPresent()) {
                info.get().remove("pendingInit");
                st.writeInfo(info.get());
            }
        }
        Map<String, Integer> roles = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            try {
                roles.put(e.getKey(), Signed.versionOf(e.getValue(), e.getKey()));
            } catch (TufException ex) {
                roles.put(e.getKey(), -1);
            }
        }
        Integer targets = now != null && now.targetsRole("targets").isPresent()
                ? now.listTargets("targets").size()
                : null;
        Published result = new Published(gun, roles, targets, null);
        st.deleteInflight(opId);
        ctx.journal().step(opId, "committed", Results.json(result.roles()));
        crash.reached(opType, "committed");
        ctx.journal().complete(opId, Results.json(result));
        return result;
    }

    /**
     * Finishes or rolls back an operation left by a crash: with its signed files on disk it is sent
     * (after checking whether the server already has it) and committed; without, it is rolled back.
     */
    boolean recover(PendingOperation op) throws Exception {
        if (!journaledHere(op.type())) {
            return false;
        }
        RepoState st = repos.state(op.gun());
        GunLocks.Held held = ctx.locks().lock(op.gun());
        try {
            recoverLocked(op, st);
        } finally {
            held.close();
        }
        return true;
    }

    private void recoverLocked(PendingOperation op, RepoState st) throws Exception {
        if (op.findStep("committed").isPresent()) {
            // everything happened; only the end record is missing
            st.deleteInflight(op.id());
            ctx.journal().complete(op.id(), op.findStep("committed").get().data());
            auditRecovery(op, "completed");
            return;
        }
        Optional<JournalStep> signed = op.findStep("signed");
        if (signed.isEmpty()) {
            ctx.journal()
                    .abort(
                            op.id(),
                            "rolled back after a restart: nothing was signed or sent"
                                    + (op.findStep("key-created").isPresent()
                                            ? " (the new key stays on its token, unused)"
                                            : "")
                                    + "; staged changes are kept");
            st.deleteInflight(op.id());
            auditRecovery(op, "rolled-back");
            return;
        }
        NotaryServers.Server srv = repos.servers().get(op.plan().path("server").asText(null));
        boolean posted = op.findStep("posted").isPresent();
        boolean posting = op.findStep("posting").isPresent();
        if (posted) {
            commit(op.type(), op.id(), st, srv, op.plan(), st.readInflight(op.id()));
        } else {
            try {
                sendAndCommit(op.type(), op.id(), st, srv, op.plan(), posting);
            } catch (SupersededException e) {
                // another writer got there first: the attempt is closed, its changes stay staged for the next publish
                auditRecovery(op, "superseded");
                return;
            }
        }
        auditRecovery(op, "completed");
    }

    /** Before a new operation on a GUN: settle what a crash or an unreachable server left unfinished. */
    void settlePending(String gun) throws Exception {
        for (PendingOperation op : ctx.journal().pending()) {
            if (op.gun().equals(gun) && journaledHere(op.type())) {
                recoverLocked(op, repos.state(gun));
            }
        }
    }

    void abortIfOpen(String opId, String reason) {
        try {
            if (ctx.journal().findPending(opId).isPresent()) {
                ctx.journal().abort(opId, reason);
            }
        } catch (IOException e) {
            LOG.log(Level.ERROR, "cannot abort journaled operation " + opId + ": " + e.getMessage());
        }
    }

    private void auditRecovery(PendingOperation op, String outcome) throws IOException {
        ctx.audit()
                .append(AuditRecord.builder("repo.recover")
                        .caller(
                                dev.custody.daemon.policy.UnixAccounts.selfUid(),
                                dev.custody.daemon.policy.UnixAccounts.selfGid(),
                                ProcessHandle.current().pid())
                        .gun(op.gun())
                        .result(outcome)
                        .message(op.type() + " " + op.id() + " " + outcome + " after a restart (last step: "
                                + op.lastStep().map(JournalStep::name).orElse("none") + ")")
                        .build());
    }
}
