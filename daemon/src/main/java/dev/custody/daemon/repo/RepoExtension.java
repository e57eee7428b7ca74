package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.DaemonExtension;
import dev.custody.daemon.keys.KeyService;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.ActionResolver;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.rpc.Call;
import dev.custody.daemon.rpc.MethodRegistry;
import dev.custody.daemon.rpc.Params;
import dev.custody.daemon.state.PendingOperation;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.results.Decided;
import dev.custody.protocol.results.Results;
import dev.custody.protocol.results.StageResult;
import dev.custody.tuf.model.TufKey;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Repository operations on the socket: {@code repo.*}, {@code delegation.*}, {@code key.rotate} and
 * the approvals ({@code pending.*}), as {@code docs/protocol-methods.md} lists them.
 *
 * <p>Keys come from the {@link KeyService} it is constructed with (asked when a key is first needed,
 * so the order of installation does not matter).
 */
public final class RepoExtension implements DaemonExtension {
    private final Supplier<KeyService> keys;
    private final Map<String, String> env;
    private volatile Repos service;
    private volatile RepoShared shared;

    public RepoExtension(KeyService keys) {
        this(() -> keys, System.getenv());
    }

    /**
     * @param keys the key service (asked when a key is first needed, so it may be installed after this
     *     extension; {@link dev.custody.daemon.StandardExtensions} passes the keys extension's)
     * @param env where the debug crash hook reads {@code CUSTODY_DEBUG} and {@code CUSTODY_DEBUG_CRASH_AT}
     */
    public RepoExtension(Supplier<KeyService> keys, Map<String, String> env) {
        this.keys = keys;
        this.env = Map.copyOf(env);
    }

    /** What the ceremony extension uses of this one; throws before {@link #install}. */
    public RepoShared shared() {
        RepoShared s = shared;
        if (s == null) {
            throw new IllegalStateException("the repository extension is not installed in this daemon");
        }
        return s;
    }

    @Override
    public String name() {
        return "repo";
    }

    /**
     * {@code status}: how many approvals wait, and the repositories with staged changes, each counted
     * only where policy lets the caller read that GUN.
     */
    @Override
    public void contributeStatus(
            dev.custody.daemon.rpc.CallerIdentity caller, com.fasterxml.jackson.databind.node.ObjectNode status) {
        Repos s = service;
        if (s == null) {
            return;
        }
        java.util.function.Predicate<String> readable = gun -> s.context()
                .policy()
                .decide(caller.subject(), new dev.custody.daemon.policy.Action(Operation.READ, gun, null))
                .allowed();
        status.put(
                "pending", s.approvals().pendingGuns().stream().filter(readable).count());
        com.fasterxml.jackson.databind.node.ArrayNode repos = status.putArray("repositories");
        for (String gun : s.knownGuns()) {
            if (!readable.test(gun)) {
                continue;
            }
            try {
                int staged = s.state(gun).changes().size();
                if (staged > 0) {
                    repos.addObject().put("gun", gun).put("staged", staged);
                }
            } catch (java.io.IOException | IllegalArgumentException e) {
                repos.addObject().put("gun", gun).put("staged", 0).put("journal", "unreadable: " + e.getMessage());
            }
        }
    }

    @Override
    public void install(DaemonContext ctx) {
        Repos s = new Repos(ctx, keys, env);
        this.service = s;
        this.shared = new RepoShared(s);
        Publishing publishing = new Publishing(s);
        Staging staging = new Staging(s, publishing);
        RepoSetup setup = new RepoSetup(s, publishing);
        RepoReads reads = new RepoReads(s);
        Rotations rotations = new Rotations(s);
        MethodRegistry m = ctx.methods();
        registerSetup(m, s, setup, staging, publishing, rotations);
        registerStaging(m, s, staging);
        registerReads(m, s, reads, staging);
        registerDelegations(m, s, staging, reads);
        registerApprovals(m, s.approvals());
    }

    /** {@code repo.init}, {@code repo.adopt}, {@code repo.publish}, {@code repo.delete} and {@code key.rotate}. */
    private static void registerSetup(
            MethodRegistry m, Repos s, RepoSetup setup, Staging staging, Publishing publishing, Rotations rotations) {
        m.registerCall(
                "repo.init",
                ActionResolver.of(Operation.INIT),
                call -> json(setup.init(caller(call), bind(call, RepoParams.Init.class))));
        m.registerCall(
                "repo.adopt",
                ActionResolver.of(Operation.INIT),
                call -> json(setup.adopt(caller(call), bind(call, RepoParams.Adopt.class))));
        m.registerCall("repo.publish", params -> publishAction(staging, params), call -> {
            RepoParams.Gun p = bind(call, RepoParams.Gun.class);
            return json(publishing.publish(caller(call), p.requiredGun(), server(s, p)));
        });
        m.registerCall("repo.delete", ActionResolver.of(Operation.DELETE), call -> {
            RepoParams.Delete p = bind(call, RepoParams.Delete.class);
            boolean remote = RepoParams.flag(p.remote());
            return json(setup.delete(p.requiredGun(), remote, remote ? server(s, p) : null));
        });
        m.registerCall(
                "key.rotate",
                ActionResolver.of(Operation.ROTATE),
                call -> json(rotations.rotate(caller(call), bind(call, RepoParams.Rotate.class))));
    }

    /** Staging: {@code repo.add}, {@code repo.addBatch}, {@code repo.remove}, {@code repo.witness}, {@code repo.reset}. */
    private static void registerStaging(MethodRegistry m, Repos s, Staging staging) {
        m.registerCall(
                "repo.add",
                roleOrTargets(Operation.ADD),
                call -> json(stage(s, staging, call, bind(call, RepoParams.Add.class))));
        m.registerCall(
                "repo.addBatch",
                roleOrTargets(Operation.ADD),
                call -> addBatch(s, staging, call, bind(call, RepoParams.AddBatch.class)));
        m.registerCall(
                "repo.remove",
                roleOrTargets(Operation.REMOVE),
                call -> json(stage(s, staging, call, bind(call, RepoParams.Remove.class))));
        m.registerCall(
                "repo.witness",
                RepoExtension::witnessAction,
                call -> json(stage(s, staging, call, bind(call, RepoParams.Witness.class))));
        m.registerCall(
                "repo.reset",
                ActionResolver.of(Operation.RESET),
                call -> json(staging.reset(bind(call, RepoParams.Gun.class).requiredGun())));
    }

    /** {@code repo.list}, {@code repo.lookup}, {@code repo.status}. */
    private static void registerReads(MethodRegistry m, Repos s, RepoReads reads, Staging staging) {
        m.registerCall("repo.list", ActionResolver.of(Operation.READ), call -> {
            RepoParams.ListTargets p = bind(call, RepoParams.ListTargets.class);
            return json(reads.list(p.requiredGun(), p.role(), server(s, p)));
        });
        m.registerCall("repo.lookup", ActionResolver.of(Operation.READ), call -> {
            RepoParams.Lookup p = bind(call, RepoParams.Lookup.class);
            return json(reads.lookup(p.requiredGun(), RepoParams.required(p.target(), "target"), server(s, p)));
        });
        m.registerCall(
                "repo.status",
                ActionResolver.of(Operation.READ),
                call -> json(staging.status(bind(call, RepoParams.Gun.class).requiredGun())));
    }

    /** {@code delegation.*}. */
    private static void registerDelegations(MethodRegistry m, Repos s, Staging staging, RepoReads reads) {
        m.registerCall("delegation.add", ActionResolver.of(Operation.DELEGATION), call -> {
            RepoParams.DelegationAdd p = bind(call, RepoParams.DelegationAdd.class);
            String gun = p.requiredGun();
            List<TufKey> ks = p.delegationKeys(staging::inventoryKey);
            StageResult out =
                    staging.stage(caller(call), gun, server(s, p), List.of(p.change(ks)), RepoParams.flag(p.publish()));
            return json(out.forDelegation(p.role(), ks.stream().map(TufKey::id).toList()));
        });
        m.registerCall("delegation.remove", ActionResolver.of(Operation.DELEGATION), call -> {
            RepoParams.DelegationRemove p = bind(call, RepoParams.DelegationRemove.class);
            return json(stage(s, staging, call, p).forDelegation(p.role(), null));
        });
        m.registerCall(
                "delegation.list",
                ActionResolver.of(Operation.READ),
                call -> json(reads.delegations(bind(call, RepoParams.Gun.class).requiredGun())));
    }

    /** {@code pending.*}: the approvals queue. */
    private static void registerApprovals(MethodRegistry m, Approvals approvals) {
        ActionResolver approve = params -> new Action(
                Operation.APPROVE,
                approvals.gunOf(ActionResolver.optionalText(params, "id")).orElse(null),
                null);
        m.registerCall("pending.list", approve, call -> json(approvals.list()));
        m.registerCall(
                "pending.show",
                approve,
                call -> json(approvals.show(
                        RepoParams.required(bind(call, RepoParams.Id.class).id(), "id"))));
        m.registerCall("pending.approve", approve, call -> {
            String id = RepoParams.required(bind(call, RepoParams.Id.class).id(), "id");
            approvals.decide(id, true, call.caller(), null);
            return json(new Decided(id, "approved"));
        });
        m.registerCall("pending.deny", approve, call -> {
            RepoParams.Deny p = bind(call, RepoParams.Deny.class);
            String id = RepoParams.required(p.id(), "id");
            approvals.decide(id, false, call.caller(), p.reason());
            return json(new Decided(id, "denied"));
        });
    }

    /** A result record as the socket sends it. */
    private static JsonNode json(Object result) {
        return Results.json(result);
    }

    private static <P> P bind(Call call, Class<P> type) throws BadRequestException {
        return Params.bind(call.params(), type);
    }

    private static StageResult stage(Repos s, Staging staging, Call call, RepoParams.Staged p) throws CustodyException {
        String gun = p.requiredGun();
        List<Change> changes = p.changes();
        return staging.stage(caller(call), gun, server(s, p), changes, RepoParams.flag(p.publish()));
    }

    /**
     * One staging transaction per batch: parts sent with {@code more} are kept aside ({@link BatchStaging}),
     * the last part stages the whole batch in one changelist write (and publishes with {@code publish}).
     */
    private static JsonNode addBatch(Repos s, Staging staging, Call call, RepoParams.AddBatch p)
            throws CustodyException {
        String gun = p.requiredGun();
        List<Change> changes = p.changes();
        if (RepoParams.flag(p.more())) {
            if (RepoParams.flag(p.publish())) {
                throw new BadRequestException(
                        "publish goes with the last part of a batch (without more)", "params.publish");
            }
            try {
                Repos.checkGun(gun);
            } catch (IllegalArgumentException e) {
                throw new BadRequestException(e.getMessage(), "params.gun");
            }
            return json(s.batches().receive(call.caller(), gun, p.role(), p.batchId(), changes));
        }
        if (p.batchId() != null) {
            changes = s.batches().finish(call.caller(), gun, p.role(), p.batchId(), changes);
        }
        return json(staging.stage(caller(call), gun, server(s, p), changes, RepoParams.flag(p.publish())));
    }

    @Override
    public boolean recover(DaemonContext context, PendingOperation op) throws Exception {
        return Objects.requireNonNull(service, "install first").pipeline().recover(op);
    }

    private static Repos.Caller caller(Call call) {
        return new Repos.Caller(call.caller(), call.method(), call.action(), call.decision());
    }

    /**
     * The configured name of the server a request names by name or URL (checking the CA it expects), or
     * null for the default server when it names none.
     */
    private static String server(Repos s, RepoParams.OnServer p) throws CustodyException {
        return p.server() == null && p.serverCaSha256() == null
                ? null
                : s.servers().get(p.server(), p.serverCaSha256()).name();
    }

    /** {@code repo.publish}: policy sees the role of the first staged change. */
    private static Action publishAction(Staging s, JsonNode params) throws BadRequestException {
        String gun = ActionResolver.optionalText(params, "gun");
        String role = null;
        if (gun != null) {
            try {
                Repos.checkGun(gun);
                role = s.publishRole(gun);
            } catch (IllegalArgumentException e) {
                role = null;
            }
        }
        return new Action(Operation.PUBLISH, gun, role);
    }

    /** {@code repo.witness}: policy sees the first role to re-sign. */
    private static Action witnessAction(JsonNode params) throws BadRequestException {
        JsonNode roles = params == null ? null : params.get("roles");
        String role = roles != null && roles.isArray() && roles.size() > 0
                ? roles.get(0).asText(null)
                : null;
        return new Action(Operation.WITNESS, ActionResolver.optionalText(params, "gun"), role);
    }

    /** Target edits name their role; without one they go to {@code targets}, and policy sees that. */
    private static ActionResolver roleOrTargets(Operation op) {
        return params -> new Action(
                op,
                ActionResolver.optionalText(params, "gun"),
                Optional.ofNullable(ActionResolver.optionalText(params, "role")).orElse("targets"));
    }
}
