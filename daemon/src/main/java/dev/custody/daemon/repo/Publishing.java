package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.audit.AuditRecord;
import dev.custody.daemon.keys.KeyService;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.Decision;
import dev.custody.daemon.policy.Operation;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.PolicyDeniedException;
import dev.custody.protocol.results.Published;
import dev.custody.tuf.DelegationPathException;
import dev.custody.tuf.TufException;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.RepoEditor;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code repo.publish}: the staged changes applied to the trusted metadata (or to the repository a
 * {@code repo.init} prepared), each checked against policy for the caller who publishes, then signed
 * and sent by the {@link PublishPipeline}.
 */
final class Publishing {
    private static final System.Logger LOG = System.getLogger(Publishing.class.getName());
    private final Repos repos;
    private final DaemonContext ctx;
    private final Supplier<KeyService> keys;
    private final NotaryServers servers;
    private final PublishPipeline pipeline;

    Publishing(Repos repos) {
        this.repos = repos;
        this.ctx = repos.context();
        this.keys = repos.keys();
        this.servers = repos.servers();
        this.pipeline = repos.pipeline();
    }

    Published publish(Repos.Caller c, String gun, String server) throws CustodyException {
        NotaryServers.Server srv = servers.get(server);
        return repos.locked(gun, srv, () -> {
            RepoState st = repos.state(gun);
            if (!st.exists()) {
                throw new NotFoundException("repository", gun, gun + " is not known here");
            }
            return publishLocked(c, st, srv);
        });
    }

    private PublishPipeline.Base base(RepoState st, NotaryServers.Server srv) throws Exception {
        Optional<ObjectNode> info = st.info();
        if (!st.hasTrustedRoot() && info.isPresent() && info.get().has("pendingInit")) {
            JsonNode pi = info.get().get("pendingInit");
            List<TufKey> rootKeys = new ArrayList<>();
            for (JsonNode k : pi.path("rootKeys")) {
                rootKeys.add(TufKey.fromJson(k, "root"));
            }
            RepoEditor ed = RepoEditor.create(
                    st.gun(),
                    rootKeys,
                    pi.path("rootThreshold").asInt(1),
                    TufKey.fromJson(pi.get("targets"), "targets"),
                    TufKey.fromJson(pi.get("snapshot"), "snapshot"),
                    TufKey.fromJson(pi.get("timestamp"), "timestamp"),
                    ctx.clock());
            return new PublishPipeline.Base(ed, null, true);
        }
        Repository repo = repos.update(st, srv);
        return new PublishPipeline.Base(RepoEditor.load(repo, ctx.clock()), repo, false);
    }

    /**
     * One publish of the caller's own staged changes, converging: an attempt that another writer beat
     * (the server's VERSION refusal, or a read-back showing another writer's version) is built again on
     * the server's new state and sent again, with a jittered backoff, until {@code publishConvergeTimeout};
     * only then CONFLICT, saying what is still staged. Each attempt is its own journaled operation and
     * is audited ({@code repo.publish.attempt}).
     */
    Published publishLocked(Repos.Caller c, RepoState st, NotaryServers.Server srv) throws Exception {
        Convergence conv = new Convergence(ctx.config().publishConvergeTimeout());
        while (true) {
            try {
                return publishOnce(c, st, srv, conv.attempt()).withAttempts(conv.attempt());
            } catch (SupersededException e) {
                auditAttempt(c, st.gun(), conv.attempt(), e.getMessage());
                if (!conv.pauseBeforeNext()) {
                    List<Change> left = st.changes().stream()
                            .filter(ch -> ch.belongsTo(c.identity().uid()))
                            .toList();
                    throw new ConflictException(
                            st.gun(),
                            "another writer kept publishing " + st.gun() + " first: "
                                    + conv.attempt() + " attempts in "
                                    + ctx.config().publishConvergeTimeout().toSeconds()
                                    + " s (publishConvergeTimeout) did not get in (last: " + e.getMessage()
                                    + "); nothing of it is on"
                                    + " the server and your " + left.size() + " change(s) stay staged ("
                                    + describe(left) + "):"
                                    + " `custody publish " + st.gun() + "` sends them again, `custody status "
                                    + st.gun()
                                    + "` lists them");
                }
            }
        }
    }

    private static String describe(List<Change> changes) {
        List<String> some = changes.stream().limit(3).map(Change::toString).toList();
        return String.join("; ", some) + (changes.size() > 3 ? "; and " + (changes.size() - 3) + " more" : "");
    }

    private void auditAttempt(Repos.Caller c, String gun, int attempt, String what) throws IOException {
        ctx.audit()
                .append(AuditRecord.builder("repo.publish.attempt")
                        .caller(
                                c.identity().uid(),
                                c.identity().gid(),
                                c.identity().pid())
                        .gun(gun)
                        .rule(c.decision() == null ? null : c.decision().ruleOrNone())
                        .result("superseded")
                        .message("attempt " + attempt + " superseded by another writer: " + what
                                + "; nothing of it is on the server, the changes stay staged")
                        .build());
    }

    private Published publishOnce(Repos.Caller c, RepoState st, NotaryServers.Server srv, int attempt)
            throws Exception {
        String gun = st.gun();
        long t0 = System.nanoTime();
        // a caller publishes the changes it staged; other callers' changes stay staged for them
        List<Change> changes = st.changes().stream()
                .filter(ch -> ch.belongsTo(c.identity().uid()))
                .toList();
        PublishPipeline.Base base = base(st, srv);
        LOG.log(
                Level.INFO,
                gun + ": " + changes.size() + " staged changes read and trusted metadata updated in "
                        + (System.nanoTime() - t0) / 1_000_000 + " ms");
        if (changes.isEmpty() && !base.init()) {
            return Published.nothing(gun);
        }
        checkChangesAllowed(c, gun, changes);
        RepoEditor ed = base.editor();
        Set<String> expected = applyChanges(ed, base.init(), changes);
        // semantic check 2: only the roles the changes touch are re-signed
        for (String role : ed.changedRoles()) {
            if (!expected.contains(role)) {
                throw RepoErrors.internal(
                        "refusing to sign " + role + " of " + gun + ": no staged change touches it", null);
            }
        }
        ObjectNode plan = publishPlan(srv, base, changes, attempt);
        String summary =
                ed.changedRoles().contains("root") ? repos.checks().rootSummary(gun, base.trusted(), ed) : null;
        return pipeline.signAndSend(PublishPipeline.OP_PUBLISH, c, st, srv, base, ed, plan, changes, summary, null);
    }

    /**
     * Semantic check 1: every staged change is the publisher's to make (policy depends on operation and
     * role only, so each kind of change is asked once).
     */
    private void checkChangesAllowed(Repos.Caller c, String gun, List<Change> changes) throws CustodyException {
        Set<String> checked = new java.util.HashSet<>();
        for (Change ch : changes) {
            if (checked.add(ch.type()
                    + ' '
                    + ch.action()
                    + ' '
                    + ch.scope()
                    + ' '
                    + (ch.type().equals(Change.TARGET) ? "" : ch.path()))) {
                checkChangeAllowed(c, gun, ch);
            }
        }
    }

    /** Applies {@code changes} to {@code ed}; returns the roles they may re-sign. */
    private static Set<String> applyChanges(RepoEditor ed, boolean init, List<Change> changes) throws Exception {
        Set<String> expected = new LinkedHashSet<>(List.of("snapshot"));
        if (init) {
            expected.addAll(List.of("root", "targets"));
        }
        try {
            // runs of target additions to one role go in as one batch (linear in the number of targets)
            Map<String, FileMeta> run = new LinkedHashMap<>();
            String runScope = null;
            for (Change ch : changes) {
                expected.add(ch.type().equals(Change.WITNESS) ? ch.path() : ch.scope());
                boolean add = ch.type().equals(Change.TARGET) && ch.action().equals("create");
                if (runScope != null && (!add || !ch.scope().equals(runScope))) {
                    ed.addTargets(runScope, run);
                    run = new LinkedHashMap<>();
                    runScope = null;
                }
                if (add) {
                    runScope = ch.scope();
                    run.put(ch.path(), FileMeta.fromJson(ch.content().get("meta"), ch.scope(), ch.path()));
                } else {
                    apply(ed, ch);
                }
            }
            if (runScope != null) {
                ed.addTargets(runScope, run);
            }
        } catch (DelegationPathException e) {
            throw new BadRequestException(e.getMessage() + " (repo.reset drops the staged changes)");
        }
        return expected;
    }

    /** The journal plan of a publish attempt: what it sends, on which base. */
    private static ObjectNode publishPlan(
            NotaryServers.Server srv, PublishPipeline.Base base, List<Change> changes, int attempt) {
        long maxSeq = changes.stream().mapToLong(Change::seq).max().orElse(0);
        ObjectNode plan = JsonNodeFactory.instance
                .objectNode()
                .put("server", srv.name())
                .put("maxSeq", maxSeq)
                .put("init", base.init())
                .put("changes", changes.size())
                .put("attempt", attempt)
                .put("baseTimestamp", baseTimestamp(base));
        com.fasterxml.jackson.databind.node.ArrayNode seqs = plan.putArray("seqs");
        changes.forEach(ch -> seqs.add(ch.seq()));
        return plan;
    }

    private static int baseTimestamp(PublishPipeline.Base base) {
        return base.trusted() == null || base.trusted().timestamp() == null
                ? 0
                : base.trusted().timestamp().version();
    }

    private void checkChangeAllowed(Repos.Caller c, String gun, Change ch) throws PolicyDeniedException {
        Operation op = switch (ch.type()) {
            case Change.TARGET -> ch.action().equals("delete") ? Operation.REMOVE : Operation.ADD;
            case Change.DELEGATION -> Operation.DELEGATION;
            default -> Operation.WITNESS;
        };
        String role = ch.type().equals(Change.TARGET) ? ch.scope() : ch.path();
        Decision d = repos.decide(c, new Action(op, gun, role));
        if (!d.allowed()) {
            String rule = d.rule() != null
                    ? d.rule()
                    : c.decision() != null ? c.decision().rule() : null;
            throw new PolicyDeniedException(
                    rule,
                    op.wireName(),
                    gun,
                    role,
                    "the staged change '" + ch + "' is outside what"
                            + " rule '" + (rule == null ? "none" : rule) + "' lets this caller publish (" + d.reason()
                            + "); nothing was signed");
        }
    }

    private static void apply(RepoEditor ed, Change ch) throws TufException {
        JsonNode x = ch.content();
        switch (ch.type()) {
            case Change.TARGET -> {
                if (ch.action().equals("delete")) {
                    ed.removeTarget(ch.scope(), ch.path());
                } else {
                    ed.addTarget(ch.scope(), ch.path(), FileMeta.fromJson(x.get("meta"), ch.scope(), ch.path()));
                }
            }
            case Change.DELEGATION -> {
                if (ch.action().equals("delete")) {
                    List<String> ids = new ArrayList<>();
                    x.path("keyIds").forEach(n -> ids.add(n.asText()));
                    if (ids.isEmpty()) {
                        ed.removeDelegation(ch.path());
                    } else {
                        ed.removeDelegationKeys(ch.path(), ids);
                    }
                } else {
                    List<TufKey> ks = new ArrayList<>();
                    for (JsonNode k : x.path("keys")) {
                        ks.add(TufKey.fromJson(k, ch.path()));
                    }
                    List<String> paths = new ArrayList<>();
                    x.path("paths").forEach(n -> paths.add(n.asText()));
                    ed.addDelegation(ch.path(), ks, paths, x.path("threshold").asInt(1));
                }
            }
            case Change.WITNESS -> ed.witness(ch.path());
            default -> throw new IllegalArgumentException("unknown change type " + ch.type());
        }
    }
}
