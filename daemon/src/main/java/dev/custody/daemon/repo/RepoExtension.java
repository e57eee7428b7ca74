package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.CustodyException;
import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.DaemonExtension;
import dev.custody.daemon.keys.KeyService;
import dev.custody.daemon.keys.KeysExtension;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.ActionResolver;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.rpc.Call;
import dev.custody.daemon.rpc.MethodRegistry;
import dev.custody.daemon.rpc.Params;
import dev.custody.daemon.state.PendingOperation;
import dev.custody.tuf.model.TufKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * Repository operations on the socket: {@code repo.*}, {@code delegation.*}, {@code key.rotate} and
 * the approvals ({@code pending.*}), as {@code docs/protocol-methods.md} lists them.
 *
 * <p>Keys come from a {@link KeyService}: the one passed to {@link #RepoExtension(KeyService)}, or
 * the one the keys extension of the same daemon offers (looked up when a key is first needed, so the
 * order of installation does not matter).
 */
public final class RepoExtension implements DaemonExtension {
  private final KeyService explicitKeys;
  private final Map<String, String> env;
  private RepoService service;

  /** For {@link ServiceLoader}: keys come from the keys extension of the same daemon. */
  public RepoExtension() {
    this(null, System.getenv());
  }

  public RepoExtension(KeyService keys) {
    this(keys, System.getenv());
  }

  /**
   * @param keys the key service, or null for the keys extension's ({@link KeysExtension#forContext})
   * @param env where the debug crash hook reads {@code CUSTODY_DEBUG} and {@code CUSTODY_DEBUG_CRASH_AT}
   */
  public RepoExtension(KeyService keys, Map<String, String> env) {
    this.explicitKeys = keys;
    this.env = Map.copyOf(env);
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
  public void contributeStatus(dev.custody.daemon.rpc.CallerIdentity caller,
      com.fasterxml.jackson.databind.node.ObjectNode status) {
    RepoService s = service;
    if (s == null) {
      return;
    }
    java.util.function.Predicate<String> readable = gun -> s.context().policy()
        .decide(caller.subject(), new dev.custody.daemon.policy.Action(Operation.READ, gun, null)).allowed();
    status.put("pending", s.approvals().pendingGuns().stream().filter(readable).count());
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
    Supplier<KeyService> keys = explicitKeys != null ? () -> explicitKeys
        : () -> KeysExtension.forContext(ctx).orElseThrow(() -> new IllegalStateException(
            "no key service: the keys extension is not installed in this daemon"));
    RepoService s = new RepoService(ctx, keys, env);
    this.service = s;
    RepoShared.register(ctx, s);
    MethodRegistry m = ctx.methods();

    m.registerCall("repo.init", ActionResolver.of(Operation.INIT), call -> s.init(caller(call),
        Params.bind(call.params(), RepoParams.Init.class)));
    m.registerCall("repo.adopt", ActionResolver.of(Operation.INIT), call -> s.adopt(caller(call),
        Params.bind(call.params(), RepoParams.Adopt.class)));
    m.registerCall("repo.add", roleOrTargets(Operation.ADD), call -> {
      RepoParams.Add p = Params.bind(call.params(), RepoParams.Add.class);
      String gun = RepoParams.required(p.gun(), "gun");
      Change c = RepoService.targetChange(p.role(), RepoParams.required(p.target(), "target"), p.length(),
          p.sha256(), p.sha512(), p.custom());
      return s.stage(caller(call), gun, server(s, p), List.of(c), RepoParams.flag(p.publish()));
    });
    m.registerCall("repo.addBatch", roleOrTargets(Operation.ADD), call -> {
      RepoParams.AddBatch p = Params.bind(call.params(), RepoParams.AddBatch.class);
      String gun = RepoParams.required(p.gun(), "gun");
      if (p.targets() == null || p.targets().isEmpty()) {
        throw new BadRequestException("params.targets must be a non-empty array", "params.targets");
      }
      List<Change> changes = new ArrayList<>(p.targets().size());
      for (RepoParams.BatchTarget t : p.targets()) {
        changes.add(RepoService.targetChange(p.role(), t.name(), t.length(), t.sha256(), t.sha512(), t.custom()));
      }
      // one staging transaction per batch: parts with more=true are kept aside, the last one stages them all
      if (RepoParams.flag(p.more())) {
        if (RepoParams.flag(p.publish())) {
          throw new BadRequestException("publish goes with the last part of a batch (without more)", "params.publish");
        }
        try {
          RepoService.checkGun(gun);
        } catch (IllegalArgumentException e) {
          throw new BadRequestException(e.getMessage(), "params.gun");
        }
        return s.batches().receive(call.caller(), gun, p.role(), p.batchId(), changes);
      }
      if (p.batchId() != null) {
        changes = s.batches().finish(call.caller(), gun, p.role(), p.batchId(), changes);
      }
      return s.stage(caller(call), gun, server(s, p), changes, RepoParams.flag(p.publish()));
    });
    m.registerCall("repo.remove", roleOrTargets(Operation.REMOVE), call -> {
      RepoParams.Remove p = Params.bind(call.params(), RepoParams.Remove.class);
      String gun = RepoParams.required(p.gun(), "gun");
      Change c = new Change(0, "delete", p.role() == null ? "targets" : p.role(), Change.TARGET,
          RepoParams.required(p.target(), "target"), null);
      return s.stage(caller(call), gun, server(s, p), List.of(c), RepoParams.flag(p.publish()));
    });
    m.registerCall("repo.list", ActionResolver.of(Operation.READ), call -> {
      RepoParams.ListTargets p = Params.bind(call.params(), RepoParams.ListTargets.class);
      return s.list(RepoParams.required(p.gun(), "gun"), p.role(), server(s, p));
    });
    m.registerCall("repo.lookup", ActionResolver.of(Operation.READ), call -> {
      RepoParams.Lookup p = Params.bind(call.params(), RepoParams.Lookup.class);
      return s.lookup(RepoParams.required(p.gun(), "gun"), RepoParams.required(p.target(), "target"), server(s, p));
    });
    m.registerCall("repo.status", ActionResolver.of(Operation.READ), call -> {
      RepoParams.Gun p = Params.bind(call.params(), RepoParams.Gun.class);
      return s.status(RepoParams.required(p.gun(), "gun"));
    });
    m.registerCall("repo.reset", ActionResolver.of(Operation.RESET), call -> {
      RepoParams.Gun p = Params.bind(call.params(), RepoParams.Gun.class);
      return s.reset(RepoParams.required(p.gun(), "gun"));
    });
    m.registerCall("repo.publish", params -> {
      String gun = ActionResolver.optionalText(params, "gun");
      return new Action(Operation.PUBLISH, gun, gun == null ? null : safeRole(s, gun));
    }, call -> {
      RepoParams.Gun p = Params.bind(call.params(), RepoParams.Gun.class);
      return s.publish(caller(call), RepoParams.required(p.gun(), "gun"), server(s, p));
    });
    m.registerCall("repo.witness", params -> {
      JsonNode roles = params == null ? null : params.get("roles");
      String role = roles != null && roles.isArray() && roles.size() > 0 ? roles.get(0).asText(null) : null;
      return new Action(Operation.WITNESS, ActionResolver.optionalText(params, "gun"), role);
    }, call -> {
      RepoParams.Witness p = Params.bind(call.params(), RepoParams.Witness.class);
      String gun = RepoParams.required(p.gun(), "gun");
      if (p.roles() == null || p.roles().isEmpty()) {
        throw new BadRequestException("params.roles must name at least one role", "params.roles");
      }
      List<Change> changes = new ArrayList<>();
      for (String r : p.roles()) {
        if ("timestamp".equals(r)) {
          throw new BadRequestException("the timestamp is the server's to sign", "params.roles");
        }
        changes.add(new Change(0, "update", r, Change.WITNESS, r, null));
      }
      return s.stage(caller(call), gun, server(s, p), changes, RepoParams.flag(p.publish()));
    });
    m.registerCall("repo.delete", ActionResolver.of(Operation.DELETE), call -> {
      RepoParams.Delete p = Params.bind(call.params(), RepoParams.Delete.class);
      boolean remote = RepoParams.flag(p.remote());
      return s.delete(RepoParams.required(p.gun(), "gun"), remote, remote ? server(s, p) : null);
    });
    m.registerCall("delegation.add", ActionResolver.of(Operation.DELEGATION), call -> {
      RepoParams.DelegationAdd p = Params.bind(call.params(), RepoParams.DelegationAdd.class);
      String gun = RepoParams.required(p.gun(), "gun");
      String role = delegationRole(p.role());
      List<TufKey> ks = new ArrayList<>();
      for (String pem : p.keys() == null ? List.<String>of() : p.keys()) {
        ks.add(RepoService.parseKey(pem));
      }
      for (String id : p.keyIds() == null ? List.<String>of() : p.keyIds()) {
        ks.add(s.inventoryKey(id));
      }
      List<String> paths = RepoParams.flag(p.allPaths()) ? List.of("") : p.paths() == null ? List.of() : p.paths();
      if (ks.isEmpty() && paths.isEmpty()) {
        throw new BadRequestException("give keys and/or paths (or allPaths: true) to delegate", "params.keys");
      }
      int threshold = p.threshold() == null ? 1 : p.threshold();
      if (threshold < 1) {
        throw new BadRequestException("params.threshold must be at least 1", "params.threshold");
      }
      ObjectNode out = s.stage(caller(call), gun, server(s, p), List.of(RepoService.delegationAdd(role, ks, paths,
          threshold)), RepoParams.flag(p.publish()));
      out.put("role", role);
      out.putArray("keyIds").addAll(ks.stream().map(k -> JsonNodeFactory.instance.textNode(k.id())).toList());
      return out;
    });
    m.registerCall("delegation.remove", ActionResolver.of(Operation.DELEGATION), call -> {
      RepoParams.DelegationRemove p = Params.bind(call.params(), RepoParams.DelegationRemove.class);
      String gun = RepoParams.required(p.gun(), "gun");
      String role = delegationRole(p.role());
      if (p.paths() != null && !p.paths().isEmpty()) {
        throw new BadRequestException("removing single paths is not supported yet: remove keys, or the whole role",
            "params.paths");
      }
      ObjectNode out = s.stage(caller(call), gun, server(s, p), List.of(RepoService.delegationRemove(role,
          p.keyIds() == null ? List.of() : p.keyIds())), RepoParams.flag(p.publish()));
      out.put("role", role);
      return out;
    });
    m.registerCall("delegation.list", ActionResolver.of(Operation.READ), call -> {
      RepoParams.Gun p = Params.bind(call.params(), RepoParams.Gun.class);
      return s.delegations(RepoParams.required(p.gun(), "gun"));
    });
    m.registerCall("key.rotate", ActionResolver.of(Operation.ROTATE), call -> s.rotate(caller(call),
        Params.bind(call.params(), RepoParams.Rotate.class)));

    // approvals
    ActionResolver approve = params -> new Action(Operation.APPROVE,
        s.approvals().gunOf(ActionResolver.optionalText(params, "id")).orElse(null), null);
    m.registerCall("pending.list", approve, call -> JsonNodeFactory.instance.objectNode()
        .set("pending", s.approvals().list()));
    m.registerCall("pending.show", approve, call -> s.approvals().show(
        RepoParams.required(Params.bind(call.params(), RepoParams.Id.class).id(), "id")));
    m.registerCall("pending.approve", approve, call -> {
      String id = RepoParams.required(Params.bind(call.params(), RepoParams.Id.class).id(), "id");
      s.approvals().decide(id, true, call.caller(), null);
      return JsonNodeFactory.instance.objectNode().put("id", id).put("state", "approved");
    });
    m.registerCall("pending.deny", approve, call -> {
      RepoParams.Deny p = Params.bind(call.params(), RepoParams.Deny.class);
      String id = RepoParams.required(p.id(), "id");
      s.approvals().decide(id, false, call.caller(), p.reason());
      return JsonNodeFactory.instance.objectNode().put("id", id).put("state", "denied");
    });
  }

  @Override
  public void close() {
    RepoShared.unregister(service);
  }

  @Override
  public boolean recover(DaemonContext context, PendingOperation op) throws Exception {
    return Objects.requireNonNull(service, "install first").recover(op);
  }

  private static RepoService.Caller caller(Call call) {
    return new RepoService.Caller(call.caller(), call.method(), call.decision());
  }

  /**
   * The configured name of the server a request names by name or URL (checking the CA it expects), or
   * null for the default server when it names none.
   */
  private static String server(RepoService s, RepoParams.OnServer p) throws CustodyException {
    return p.server() == null && p.serverCaSha256() == null ? null
        : s.servers().get(p.server(), p.serverCaSha256()).name();
  }

  private static String safeRole(RepoService s, String gun) {
    try {
      RepoService.checkGun(gun);
      return s.publishRole(gun);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Target edits name their role; without one they go to {@code targets}, and policy sees that. */
  private static ActionResolver roleOrTargets(Operation op) {
    return params -> new Action(op, ActionResolver.optionalText(params, "gun"),
        Optional.ofNullable(ActionResolver.optionalText(params, "role")).orElse("targets"));
  }

  private static String delegationRole(String role) throws BadRequestException {
    String r = RepoParams.required(role, "role");
    if (!dev.custody.tuf.model.DelegatedRole.isDelegationName(r)) {
      throw new BadRequestException("params.role: a delegation is named targets/<name>", "params.role");
    }
    return r;
  }


}
