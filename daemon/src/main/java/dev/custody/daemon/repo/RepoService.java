package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.PolicyDeniedException;
import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.audit.AuditRecord;
import dev.custody.daemon.keys.KeyService;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.Decision;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.rpc.CallerIdentity;
import dev.custody.daemon.state.GunLocks;
import dev.custody.daemon.state.JournalStep;
import dev.custody.daemon.state.PendingOperation;
import dev.custody.tuf.DelegationPathException;
import dev.custody.tuf.TufException;
import dev.custody.tuf.UnsupportedKeyTypeException;
import dev.custody.tuf.canonical.CanonicalJson;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.repo.PublishSet;
import dev.custody.tuf.repo.RepoEditor;
import dev.custody.tuf.repo.ServerKeys;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.sign.SignerFactory;
import dev.custody.tuf.update.NotaryMetaFetcher;
import dev.custody.tuf.update.Updater;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The repository operations behind the {@code repo.*}, {@code delegation.*} and {@code key.rotate}
 * methods. Every operation on a GUN holds that GUN's lock from its first read to its last write.
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
final class RepoService {
  private static final System.Logger LOG = System.getLogger(RepoService.class.getName());
  static final String OP_PUBLISH = "publish";
  static final String OP_ROTATE = "rotate";
  /** A ceremony bundle's publish ({@code ceremony.publish}): the same steps as a publish, without staged changes. */
  static final String OP_CEREMONY = "ceremony-publish";

  private final DaemonContext ctx;
  private final Supplier<KeyService> keys;
  private final NotaryServers servers;
  private final Approvals approvals;
  private final TokenHolderGate holders;
  private final CrashPoints crash;
  private final Path reposDir;

  RepoService(DaemonContext ctx, Supplier<KeyService> keys, Map<String, String> env) {
    this.ctx = ctx;
    this.keys = keys;
    this.servers = new NotaryServers(ctx.config().servers());
    this.approvals = new Approvals(ctx.audit(), ctx.clock(), ctx.config().approvalTimeout());
    this.holders = new TokenHolderGate(ctx, keys, approvals);
    this.crash = new CrashPoints(env);
    this.reposDir = ctx.state().root().resolve("repos");
  }

  DaemonContext context() {
    return ctx;
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

  RepoState state(String gun) {
    return new RepoState(reposDir, checkGun(gun));
  }

  /** The GUNs with local state (a directory under {@code STATE/repos}), sorted. */
  List<String> knownGuns() {
    if (!java.nio.file.Files.isDirectory(reposDir)) {
      return List.of();
    }
    try (java.util.stream.Stream<Path> dirs = java.nio.file.Files.list(reposDir)) {
      return dirs.filter(java.nio.file.Files::isDirectory)
          .map(d -> java.net.URLDecoder.decode(d.getFileName().toString(), java.nio.charset.StandardCharsets.UTF_8))
          .sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  static String checkGun(String gun) {
    if (gun == null || !gun.matches("[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}") || gun.contains("..")
        || gun.contains("//") || gun.endsWith("/")) {
      throw new IllegalArgumentException("params.gun: not a usable GUN: " + gun);
    }
    return gun;
  }

  /** Who asks, and what policy said about the request (for approvals and per-change checks). */
  record Caller(CallerIdentity identity, String method, Decision decision) {}

  // ---------------------------------------------------------------- init

  ObjectNode init(Caller c, RepoParams.Init p) throws CustodyException {
    String gun = RepoParams.required(p.gun(), "gun");
    List<String> rootIds = new ArrayList<>();
    if (p.rootKeyId() != null) {
      rootIds.add(p.rootKeyId());
    }
    if (p.rootKeyIds() != null) {
      p.rootKeyIds().stream().filter(id -> !rootIds.contains(id)).forEach(rootIds::add);
    }
    int threshold = p.rootThreshold() == null ? 1 : p.rootThreshold();
    if (threshold < 1 || threshold > Math.max(1, rootIds.size())) {
      throw new BadRequestException("params.rootThreshold must be between 1 and the number of root keys",
          "params.rootThreshold");
    }
    NotaryServers.Server srv = servers.get(p.server(), p.serverCaSha256());
    return locked(gun, srv, () -> {
      RepoState st = state(gun);
      if (st.hasTrustedRoot() || st.info().map(i -> i.has("pendingInit")).orElse(false)) {
        throw new ConflictException(gun, gun + " is already initialised here (repo.delete it first to start over)");
      }
      KeyService ks = keys.get();
      SignerFactory factory = ks.signerFactory(Optional.ofNullable(p.token()));
      List<Signer> roots = new ArrayList<>();
      for (String id : rootIds) {
        roots.add(ks.findSigner(id).orElseThrow(() -> new NotFoundException("key", id, "no key " + id
            + " in the inventory (key.list shows them)")));
      }
      if (roots.isEmpty()) {
        roots.add(factory.generate(gun, "root"));
      }
      List<TufKey> rootCerts = new ArrayList<>();
      for (Signer root : roots) {
        rootCerts.add(PublicKeys.toTufKey(RootCertificates.create(root, gun, ctx.clock())));
      }
      Signer targets = factory.generate(gun, "targets");
      ServerKeys sk = ServerKeys.of(srv.client());
      boolean serverSnapshot = RepoParams.flag(p.serverManagedSnapshot());
      TufKey snapshotKey = serverSnapshot ? sk.get(gun, "snapshot") : factory.generate(gun, "snapshot").key();
      TufKey timestampKey = sk.get(gun, "timestamp");
      for (Signer root : roots) {
        ks.assign(root.keyId(), "root", gun);
      }
      ks.assign(targets.keyId(), "targets", gun);
      if (!serverSnapshot) {
        ks.assign(snapshotKey.id(), "snapshot", gun);
      }
      ObjectNode info = JsonNodeFactory.instance.objectNode().put("gun", gun).put("server", srv.name());
      ObjectNode pi = info.putObject("pendingInit");
      ArrayNode rk = pi.putArray("rootKeys");
      rootCerts.forEach(k -> rk.add(k.toJson()));
      pi.put("rootThreshold", threshold);
      pi.set("targets", targets.key().toJson());
      pi.set("snapshot", snapshotKey.toJson());
      pi.set("timestamp", timestampKey.toJson());
      pi.put("serverManagedSnapshot", serverSnapshot);
      st.writeInfo(info);
      audit("repo.init.keys", c, gun, "root", rootCerts.get(0).id(), null);
      ObjectNode out = JsonNodeFactory.instance.objectNode().put("gun", gun);
      ArrayNode ids = out.putArray("rootKeyIds");
      rootCerts.forEach(k -> ids.add(k.id()));
      out.put("targetsKeyId", targets.keyId());
      if (serverSnapshot) {
        out.putNull("snapshotKeyId");
      } else {
        out.put("snapshotKeyId", snapshotKey.id());
      }
      boolean published = false;
      if (RepoParams.flag(p.publish())) {
        publishLocked(c, st, srv);
        published = true;
      }
      out.put("published", published);
      return out;
    });
  }

  // ---------------------------------------------------------------- adopt

  /**
   * {@code repo.adopt}: starts trusting a repository that already exists on the server (made by the
   * notary CLI, or by another custodyd), as {@code repo.init} would have. The server's current root is
   * trusted only if it is signed, to its threshold, by root keys this daemon holds on its tokens (the
   * keys a notary user imported with {@code key.import}), or by the root key IDs the caller names after
   * checking them out of band — Notary's trust pinning by key ID, never plain trust on first use. The
   * rest of the metadata is verified as on every update; nothing is signed or sent. The result says
   * which roles' keys are on this daemon's tokens.
   */
  ObjectNode adopt(Caller c, RepoParams.Adopt p) throws CustodyException {
    String gun = RepoParams.required(p.gun(), "gun");
    NotaryServers.Server srv = servers.get(p.server());
    return locked(gun, srv, () -> {
      RepoState st = state(gun);
      if (st.hasTrustedRoot() || st.info().map(i -> i.has("pendingInit")).orElse(false)) {
        throw new ConflictException(gun, gun + " is already trusted here: nothing to adopt (repo.delete it first to"
            + " start over)");
      }
      KeyService ks = keys.get();
      List<KeyService.KeyRecord> inventory = ks.allKeys();
      boolean named = p.rootKeyIds() != null && !p.rootKeyIds().isEmpty();
      List<String> anchors = named ? List.copyOf(p.rootKeyIds())
          : inventory.stream().filter(k -> k.role().equals("root")).map(KeyService.KeyRecord::keyId).toList();
      if (anchors.isEmpty()) {
        throw new BadRequestException("no root key in this daemon's inventory to check " + gun + "'s root against:"
            + " import the repository's root key (key.import), or name the root key ID you checked out of band"
            + " (params.rootKeyIds)", "params.rootKeyIds");
      }
      Repository repo;
      try {
        // Notary trust pinning by key ID: the bootstrap root must be signed to its threshold by these keys
        repo = Updater.builder().gun(gun).fetcher(new NotaryMetaFetcher(srv.client(), gun)).store(st.store())
            .clock(ctx.clock()).trustPinning(dev.custody.tuf.verify.TrustPinning.keyIds(gun, anchors)).build()
            .update();
      } catch (dev.custody.tuf.TrustPinException | dev.custody.tuf.SignatureThresholdException e) {
        throw new dev.custody.protocol.MetadataInvalidException("root", gun + ": the root on " + srv.name()
            + " is not signed by " + (named ? "the named root key(s) " + short12(Set.copyOf(anchors))
                : "a root key on this daemon's tokens") + " (" + e.getMessage() + "); nothing was trusted");
      }
      Set<String> held = new java.util.HashSet<>();
      inventory.forEach(k -> held.add(k.keyId()));
      Root root = repo.root().signed();
      ObjectNode out = JsonNodeFactory.instance.objectNode().put("gun", gun).put("server", srv.name())
          .put("rootVersion", root.version()).put("version", root.version());
      ObjectNode roles = out.putObject("roles");
      ArrayNode notes = JsonNodeFactory.instance.arrayNode();
      for (String role : Root.BASE_ROLES) {
        List<String> mine = reportKeys(roles.putObject(role), root.keysOf(role), held);
        if (!mine.isEmpty()) {
          ((ObjectNode) roles.get(role)).put("location", "tokens");
        }
        if (role.equals("root")) {
          anchors.stream().filter(mine::contains).findFirst().or(() -> mine.stream().findFirst())
              .ifPresent(id -> out.put("keyId", id));
        }
        for (String id : mine) {
          KeyService.KeyRecord k = inventory.stream().filter(r -> r.keyId().equals(id)).findFirst().orElseThrow();
          if (!role.equals("root") && k.gun().isEmpty()) {
            ks.assign(id, role, gun);
          }
        }
        if (mine.isEmpty() && role.equals("targets")) {
          notes.add("targets: its key is not on this daemon's tokens; only delegations whose keys are can publish");
        } else if (mine.isEmpty() && role.equals("snapshot")) {
          String note = snapshotKeyNote(gun, srv, root);
          ((ObjectNode) roles.get("snapshot")).put("location", note.startsWith("snapshot: the server signs")
              ? "server" : "elsewhere");
          notes.add(note);
        } else if (mine.isEmpty() && role.equals("root")) {
          notes.add("root: no root key on this daemon's tokens; root rotations need one");
        }
      }
      ObjectNode dels = out.putObject("delegations");
      for (Map.Entry<String, Signed<Targets>> t : repo.targets().entrySet()) {
        var d = t.getValue().signed().delegationsOrEmpty();
        for (DelegatedRole r : d.roles()) {
          Map<String, TufKey> ks2 = new LinkedHashMap<>();
          r.keyIds().forEach(id -> Optional.ofNullable(d.keys().get(id)).ifPresent(k -> ks2.put(id, k)));
          reportKeys(dels.putObject(r.name()), ks2, held);
        }
      }
      out.set("notes", notes);
      ObjectNode info = JsonNodeFactory.instance.objectNode().put("gun", gun).put("server", srv.name());
      info.putObject("adopted").put("time", ctx.clock().instant().toString()).put("rootVersion", root.version())
          .put("anchors", named ? "named" : "inventory");
      st.writeInfo(info);
      return out;
    });
  }

  /**
   * Where the snapshot key of {@code root} really is when this daemon does not hold it: on the server
   * (notary-server hands out the public key it signs with; it matches root's), or nowhere we can use.
   */
  private static String snapshotKeyNote(String gun, NotaryServers.Server srv, Root root) {
    Set<String> rootIds = root.keysOf("snapshot").keySet();
    String serverId;
    try {
      serverId = ServerKeys.of(srv.client()).get(gun, "snapshot").id();
    } catch (Exception e) {
      return "snapshot: its key is not on this daemon's tokens, and " + srv.name() + " could not be asked whether it"
          + " holds it (" + e.getMessage() + ")";
    }
    if (rootIds.contains(serverId)) {
      return "snapshot: the server signs it (its key " + serverId.substring(0, 8) + "… is the one root lists):"
          + " publishing works from this daemon";
    }
    return "snapshot: its key is not on this daemon's tokens and not on the server (the server's is "
        + serverId.substring(0, 8) + "…, root lists " + short12(rootIds) + "): only the host holding it can publish;"
        + " `custody key rotate " + gun + " snapshot -r` there hands it to the server";
  }

  /** {@code {keyIds: [...], onTokens: [...]}} of one role; returns the bare IDs of the keys held here. */
  private static List<String> reportKeys(ObjectNode into, Map<String, TufKey> roleKeys, Set<String> held) {
    ArrayNode ids = into.putArray("keyIds");
    ArrayNode onTokens = into.putArray("onTokens");
    List<String> mine = new ArrayList<>();
    for (Map.Entry<String, TufKey> e : roleKeys.entrySet()) {
      ids.add(e.getKey());
      String bare;
      try {
        bare = PublicKeys.canonicalKeyId(e.getValue());
      } catch (UnsupportedKeyTypeException ex) {
        continue;
      }
      if (held.contains(bare)) {
        onTokens.add(bare);
        mine.add(bare);
      }
    }
    return mine;
  }

  // ---------------------------------------------------------------- staging

  ObjectNode stage(Caller c, String gun, String server, List<Change> changes, boolean publish)
      throws CustodyException {
    NotaryServers.Server srv = servers.get(server);
    return locked(gun, srv, () -> {
      RepoState st = state(gun);
      if (!st.exists()) {
        throw new NotFoundException("repository", gun, gun + " is not known here: repo.init it, repo.adopt it (a"
            + " repository made elsewhere, e.g. with notary), or repo.list it once to trust it");
      }
      long uid = c.identity().uid();
      int staged = st.stage(changes.stream().map(ch -> ch.stagedBy(uid)).toList());
      ObjectNode out = JsonNodeFactory.instance.objectNode().put("gun", gun).put("staged", staged);
      if (publish) {
        Decision d = ctx.policy().decide(c.identity().subject(), new Action(Operation.PUBLISH, gun,
            changes.isEmpty() ? null : changes.get(0).scope()));
        if (!d.allowed()) {
          throw new PolicyDeniedException(d.rule(), Operation.PUBLISH.wireName(), gun, null, d.reason()
              + " (the changes stay staged)");
        }
        ObjectNode r = publishLocked(new Caller(c.identity(), c.method(), d), st, srv);
        out.put("staged", st.changes().size());
        out.set("published", r);
      }
      return out;
    });
  }

  static Change targetChange(String role, String name, Long length, String sha256, String sha512, JsonNode custom)
      throws BadRequestException {
    if (name == null || name.isEmpty()) {
      throw new BadRequestException("a target needs a name", "params.target");
    }
    if (length == null || length < 0) {
      throw new BadRequestException("target " + name + ": length must be a non-negative integer", "params.length");
    }
    byte[] s256 = hex(sha256, 32, "sha256");
    byte[] s512 = sha512 == null ? null : hex(sha512, 64, "sha512");
    FileMeta meta = FileMeta.ofHashes(length, s256, s512);
    if (custom != null && !custom.isNull()) {
      meta = meta.withCustom(custom);
    }
    ObjectNode content = JsonNodeFactory.instance.objectNode();
    content.set("meta", meta.toJson());
    return new Change(0, "create", role == null ? "targets" : role, Change.TARGET, name, content);
  }

  private static byte[] hex(String s, int len, String field) throws BadRequestException {
    try {
      byte[] b = HexFormat.of().parseHex(s == null ? "" : s);
      if (b.length != len) {
        throw new IllegalArgumentException();
      }
      return b;
    } catch (IllegalArgumentException e) {
      throw new BadRequestException("params." + field + " must be " + (len * 2) + " hex digits", "params." + field);
    }
  }

  static Change delegationAdd(String role, List<TufKey> keys, List<String> paths, int threshold) {
    ObjectNode content = JsonNodeFactory.instance.objectNode().put("threshold", threshold);
    ArrayNode k = content.putArray("keys");
    keys.forEach(x -> k.add(x.toJson()));
    ArrayNode ps = content.putArray("paths");
    paths.forEach(ps::add);
    return new Change(0, "create", DelegatedRole.parentOf(role), Change.DELEGATION, role, content);
  }

  static Change delegationRemove(String role, List<String> keyIds) {
    ObjectNode content = JsonNodeFactory.instance.objectNode();
    ArrayNode k = content.putArray("keyIds");
    keyIds.forEach(k::add);
    return new Change(0, "delete", DelegatedRole.parentOf(role), Change.DELEGATION, role, content);
  }

  /** The public key of a key in the inventory (a delegation key made with {@code key.generate}). */
  TufKey inventoryKey(String keyId) throws CustodyException {
    return keys.get().findSigner(keyId).map(Signer::key).orElseThrow(() -> new NotFoundException("key", keyId,
        "no key " + keyId + " in the inventory (key.list shows them)"));
  }

  /** A delegation key from PEM: a certificate ({@code ecdsa-x509}) or a public key ({@code ecdsa}/{@code ed25519}). */
  static TufKey parseKey(String pem) throws BadRequestException {
    try {
      if (pem.contains("CERTIFICATE")) {
        List<X509Certificate> certs = PublicKeys.certificates(pem.getBytes(StandardCharsets.US_ASCII));
        if (certs.isEmpty()) {
          throw new IllegalArgumentException("no certificate");
        }
        return PublicKeys.toTufKey(certs.get(0));
      }
      // docker's NAME.pub carries PEM headers ("role: jeff", then a blank line): not base64, dropped
      String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("(?m)^[A-Za-z0-9-]+:.*$", "")
          .replaceAll("\\s", "");
      byte[] der = Base64.getDecoder().decode(b64);
      for (String alg : List.of("EC", "Ed25519")) {
        try {
          PublicKey k = KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
          return PublicKeys.toTufKey(k);
        } catch (java.security.spec.InvalidKeySpecException e) {
          // try the next algorithm
        }
      }
      throw new IllegalArgumentException("not an EC or Ed25519 public key");
    } catch (Exception e) {
      throw new BadRequestException("params.keys: not a PEM public key or certificate (" + e.getMessage() + ")",
          "params.keys");
    }
  }

  ObjectNode status(String gun) throws CustodyException {
    return locked(gun, null, () -> {
      RepoState st = state(gun);
      if (!st.exists()) {
        throw new NotFoundException("repository", gun, gun + " is not known here");
      }
      ObjectNode out = JsonNodeFactory.instance.objectNode().put("gun", gun);
      ArrayNode arr = out.putArray("changes");
      st.changes().forEach(ch -> arr.add(ch.toStatus()));
      return out;
    });
  }

  ObjectNode reset(String gun) throws CustodyException {
    return locked(gun, null, () -> {
      RepoState st = state(gun);
      if (!st.exists()) {
        throw new NotFoundException("repository", gun, gun + " is not known here");
      }
      return JsonNodeFactory.instance.objectNode().put("gun", gun).put("dropped", st.dropChanges(Long.MAX_VALUE));
    });
  }

  /** The role policy sees for {@code repo.publish}: the scope of the first staged change. */
  String publishRole(String gun) {
    try {
      List<Change> ch = state(gun).changes();
      // a targets change names the role a publisher is usually limited to; the per-change check covers the rest
      Optional<Change> target = ch.stream().filter(c -> c.type().equals(Change.TARGET)).findFirst();
      Change first = target.orElse(ch.isEmpty() ? null : ch.get(0));
      return first == null ? null : first.type().equals(Change.TARGET) ? first.scope() : first.path();
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  // ---------------------------------------------------------------- reads

  ObjectNode list(String gun, String role, String server) throws CustodyException {
    NotaryServers.Server srv = servers.get(server);
    return locked(gun, srv, () -> {
      Repository repo = update(state(gun), srv);
      String start = role == null ? "targets" : role;
      if (repo.targetsRole(start).isEmpty()) {
        throw new NotFoundException("role", start, gun + " has no role " + start);
      }
      ObjectNode out = JsonNodeFactory.instance.objectNode().put("gun", gun);
      ArrayNode arr = out.putArray("targets");
      for (Repository.Target t : repo.listTargets(start)) {
        arr.add(targetJson(t));
      }
      return out;
    });
  }

  ObjectNode lookup(String gun, String target, String server) throws CustodyException {
    NotaryServers.Server srv = servers.get(server);
    return locked(gun, srv, () -> {
      Repository repo = update(state(gun), srv);
      for (Repository.Target t : repo.listTargets("targets")) {
        if (t.name().equals(target)) {
          return targetJson(t);
        }
      }
      throw new NotFoundException("target", target, gun + " has no target " + target);
    });
  }

  private static ObjectNode targetJson(Repository.Target t) {
    return JsonNodeFactory.instance.objectNode().put("name", t.name())
        .put("sha256", t.meta().hash("sha256").map(HexFormat.of()::formatHex).orElse(""))
        .put("length", t.meta().length()).put("role", t.role());
  }

  ObjectNode delegations(String gun) throws CustodyException {
    return locked(gun, null, () -> {
      RepoState st = state(gun);
      if (!st.hasTrustedRoot()) {
        throw new NotFoundException("repository", gun, gun + " has no trusted metadata here: repo.list it first");
      }
      ObjectNode out = JsonNodeFactory.instance.objectNode().put("gun", gun);
      ArrayNode arr = out.putArray("delegations");
      // the administrative keys as root.json lists them (docker trust inspect shows these IDs)
      Optional<byte[]> rootRaw = st.store().find(gun, "root");
      if (rootRaw.isPresent()) {
        Root root = (Root) Signed.parse(rootRaw.get(), "root").signed();
        ArrayNode rootIds = out.putArray("rootKeyIds");
        root.role("root").keyIds().forEach(rootIds::add);
        ArrayNode targetsIds = out.putArray("targetsKeyIds");
        root.role("targets").keyIds().forEach(targetsIds::add);
      }
      List<String> todo = new ArrayList<>(List.of("targets"));
      while (!todo.isEmpty()) {
        String role = todo.remove(0);
        Optional<byte[]> raw = st.store().find(gun, role);
        if (raw.isEmpty()) {
          continue;
        }
        Targets t = (Targets) Signed.parse(raw.get(), role).signed();
        for (DelegatedRole d : t.delegationsOrEmpty().roles()) {
          ObjectNode o = arr.addObject().put("role", d.name()).put("threshold", d.threshold());
          ArrayNode ids = o.putArray("keyIds");
          d.keyIds().forEach(ids::add);
          ArrayNode ps = o.putArray("paths");
          if (d.paths() != null) {
            d.paths().forEach(ps::add);
          }
          todo.add(d.name());
        }
      }
      return out;
    });
  }

  ObjectNode delete(String gun, boolean remote, String server) throws CustodyException {
    NotaryServers.Server srv = remote ? servers.get(server) : null;
    return locked(gun, srv, () -> {
      RepoState st = state(gun);
      if (remote) {
        srv.client().delete(gun);
      } else if (!st.exists()) {
        throw new NotFoundException("repository", gun, gun + " is not known here");
      }
      st.deleteAll();
      return JsonNodeFactory.instance.objectNode().put("gun", gun).put("local", true).put("remote", remote);
    });
  }

  // ---------------------------------------------------------------- publish

  ObjectNode publish(Caller c, String gun, String server) throws CustodyException {
    NotaryServers.Server srv = servers.get(server);
    return locked(gun, srv, () -> {
      RepoState st = state(gun);
      if (!st.exists()) {
        throw new NotFoundException("repository", gun, gun + " is not known here");
      }
      return publishLocked(c, st, srv);
    });
  }

  /** The repository to edit: verified from the server, or the one a {@code repo.init} prepared. */
  private record Base(RepoEditor editor, Repository trusted, boolean init) {}

  private Base base(RepoState st, NotaryServers.Server srv) throws Exception {
    Optional<ObjectNode> info = st.info();
    if (!st.hasTrustedRoot() && info.isPresent() && info.get().has("pendingInit")) {
      JsonNode pi = info.get().get("pendingInit");
      List<TufKey> rootKeys = new ArrayList<>();
      for (JsonNode k : pi.path("rootKeys")) {
        rootKeys.add(TufKey.fromJson(k, "root"));
      }
      RepoEditor ed = RepoEditor.create(st.gun(), rootKeys, pi.path("rootThreshold").asInt(1),
          TufKey.fromJson(pi.get("targets"), "targets"), TufKey.fromJson(pi.get("snapshot"), "snapshot"),
          TufKey.fromJson(pi.get("timestamp"), "timestamp"), ctx.clock());
      return new Base(ed, null, true);
    }
    Repository repo = update(st, srv);
    return new Base(RepoEditor.load(repo, ctx.clock()), repo, false);
  }

  /**
   * One publish of the caller's own staged changes, converging: an attempt that another writer beat
   * (the server's VERSION refusal, or a read-back showing another writer's version) is built again on
   * the server's new state and sent again, with a jittered backoff, until {@code publishConvergeTimeout};
   * only then CONFLICT, saying what is still staged. Each attempt is its own journaled operation and
   * is audited ({@code repo.publish.attempt}).
   */
  private ObjectNode publishLocked(Caller c, RepoState st, NotaryServers.Server srv) throws Exception {
    Convergence conv = new Convergence(ctx.config().publishConvergeTimeout());
    while (true) {
      try {
        ObjectNode r = publishOnce(c, st, srv, conv.attempt());
        r.put("attempts", conv.attempt());
        return r;
      } catch (SupersededException e) {
        auditAttempt(c, st.gun(), conv.attempt(), e.getMessage());
        if (!conv.pauseBeforeNext()) {
          List<Change> left = st.changes().stream().filter(ch -> ch.belongsTo(c.identity().uid())).toList();
          throw new ConflictException(st.gun(), "another writer kept publishing " + st.gun() + " first: "
              + conv.attempt() + " attempts in " + ctx.config().publishConvergeTimeout().toSeconds()
              + " s (publishConvergeTimeout) did not get in (last: " + e.getMessage() + "); nothing of it is on"
              + " the server and your " + left.size() + " change(s) stay staged (" + describe(left) + "):"
              + " `custody publish " + st.gun() + "` sends them again, `custody status " + st.gun()
              + "` lists them");
        }
      }
    }
  }

  private static String describe(List<Change> changes) {
    List<String> some = changes.stream().limit(3).map(Change::toString).toList();
    return String.join("; ", some) + (changes.size() > 3 ? "; and " + (changes.size() - 3) + " more" : "");
  }

  private void auditAttempt(Caller c, String gun, int attempt, String what) throws IOException {
    ctx.audit().append(AuditRecord.builder("repo.publish.attempt").caller(c.identity().uid(), c.identity().gid(),
        c.identity().pid()).gun(gun).rule(c.decision() == null ? null : c.decision().ruleOrNone())
        .result("superseded").message("attempt " + attempt + " superseded by another writer: " + what
            + "; nothing of it is on the server, the changes stay staged").build());
  }

  private ObjectNode publishOnce(Caller c, RepoState st, NotaryServers.Server srv, int attempt) throws Exception {
    String gun = st.gun();
    long t0 = System.nanoTime();
    // a caller publishes the changes it staged; other callers' changes stay staged for them
    List<Change> changes = st.changes().stream().filter(ch -> ch.belongsTo(c.identity().uid())).toList();
    Base base = base(st, srv);
    LOG.log(Level.INFO, gun + ": " + changes.size() + " staged changes read and trusted metadata updated in "
        + (System.nanoTime() - t0) / 1_000_000 + " ms");
    if (changes.isEmpty() && !base.init()) {
      return JsonNodeFactory.instance.objectNode().put("gun", gun).set("roles", JsonNodeFactory.instance.objectNode());
    }
    // semantic check 1: every staged change is the publisher's to make (policy depends on operation and role only)
    Set<String> checked = new java.util.HashSet<>();
    for (Change ch : changes) {
      if (checked.add(ch.type() + ' ' + ch.action() + ' ' + ch.scope() + ' ' + (ch.type().equals(Change.TARGET) ? ""
          : ch.path()))) {
        checkChangeAllowed(c, gun, ch);
      }
    }
    RepoEditor ed = base.editor();
    Set<String> expected = new LinkedHashSet<>(List.of("snapshot"));
    if (base.init()) {
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
    // semantic check 2: only the roles the changes touch are re-signed
    for (String role : ed.changedRoles()) {
      if (!expected.contains(role)) {
        throw RepoErrors.internal("refusing to sign " + role + " of " + gun + ": no staged change touches it", null);
      }
    }
    long maxSeq = changes.stream().mapToLong(Change::seq).max().orElse(0);
    ObjectNode plan = JsonNodeFactory.instance.objectNode().put("server", srv.name()).put("maxSeq", maxSeq)
        .put("init", base.init()).put("changes", changes.size()).put("attempt", attempt)
        .put("baseTimestamp", baseTimestamp(base));
    ArrayNode seqs = plan.putArray("seqs");
    changes.forEach(ch -> seqs.add(ch.seq()));
    String summary = ed.changedRoles().contains("root") ? rootSummary(gun, base.trusted(), ed) : null;
    return signAndSend(OP_PUBLISH, c, st, srv, base, ed, plan, changes, summary, null);
  }

  private static int baseTimestamp(Base base) {
    return base.trusted() == null || base.trusted().timestamp() == null ? 0 : base.trusted().timestamp().version();
  }

  private void checkChangeAllowed(Caller c, String gun, Change ch) throws PolicyDeniedException {
    Operation op = switch (ch.type()) {
      case Change.TARGET -> ch.action().equals("delete") ? Operation.REMOVE : Operation.ADD;
      case Change.DELEGATION -> Operation.DELEGATION;
      default -> Operation.WITNESS;
    };
    String role = ch.type().equals(Change.TARGET) ? ch.scope() : ch.path();
    Decision d = ctx.policy().decide(c.identity().subject(), new Action(op, gun, role));
    if (!d.allowed()) {
      String rule = d.rule() != null ? d.rule() : c.decision() != null ? c.decision().rule() : null;
      throw new PolicyDeniedException(rule, op.wireName(), gun, role, "the staged change '" + ch + "' is outside what"
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

  // ---------------------------------------------------------------- rotation

  ObjectNode rotate(Caller c, RepoParams.Rotate p) throws CustodyException {
    String gun = RepoParams.required(p.gun(), "gun");
    String role = RepoParams.required(p.role(), "role");
    boolean serverManaged = RepoParams.flag(p.serverManaged());
    if (!List.of("root", "targets", "snapshot", "timestamp").contains(role)) {
      throw new BadRequestException("params.role: rotate root, targets, snapshot or timestamp (delegation keys change"
          + " with delegation.add/remove)", "params.role");
    }
    if (role.equals("timestamp") && !serverManaged) {
      throw new BadRequestException("the timestamp key is the server's: rotate it with serverManaged: true",
          "params.serverManaged");
    }
    if (serverManaged && !List.of("snapshot", "timestamp").contains(role)) {
      throw new BadRequestException("only snapshot and timestamp keys can be server-managed", "params.serverManaged");
    }
    NotaryServers.Server srv = servers.get(p.server(), p.serverCaSha256());
    return locked(gun, srv, () -> {
      RepoState st = state(gun);
      if (!st.hasTrustedRoot()) {
        throw new NotFoundException("repository", gun, gun + " is not published yet (repo.publish it first)");
      }
      Repository repo = update(st, srv);
      RepoEditor ed = RepoEditor.load(repo, ctx.clock());
      List<String> oldIds = List.copyOf(repo.root().signed().keysOf(role).keySet());
      ObjectNode plan = JsonNodeFactory.instance.objectNode().put("server", srv.name()).put("maxSeq", -1)
          .put("init", false).put("role", role).put("serverManaged", serverManaged)
          .put("fromRootVersion", repo.root().signed().version());
      String opId = ctx.journal().begin(OP_ROTATE, gun, plan);
      crash.reached(OP_ROTATE, "planned");
      try {
        TufKey newKey;
        if (serverManaged) {
          newKey = ServerKeys.of(srv.client()).rotate(gun, role);
          ed.rotateKey(role, newKey);
        } else {
          KeyService ks = keys.get();
          Signer s = ks.signerFactory(Optional.ofNullable(p.token())).generate(gun, role);
          ks.assign(s.keyId(), role, gun);
          if (role.equals("root")) {
            newKey = PublicKeys.toTufKey(RootCertificates.create(s, gun, ctx.clock()));
            ed.rotateRootKey(newKey);
          } else {
            newKey = s.key();
            ed.rotateKey(role, newKey);
          }
        }
        ctx.journal().step(opId, "key-created", JsonNodeFactory.instance.objectNode().put("keyId", newKey.id())
            .put("serverManaged", serverManaged));
        crash.reached(OP_ROTATE, "key-created");
        audit("key.rotate.key", c, gun, role, newKey.id(), null);
        String summary = rootSummary(gun, repo, ed);
        ObjectNode out = signAndSend(OP_ROTATE, c, st, srv, new Base(ed, repo, false), ed, plan, List.of(), summary,
            opId);
        ObjectNode r = JsonNodeFactory.instance.objectNode().put("gun", gun).put("role", role);
        ArrayNode old = r.putArray("oldKeyIds");
        oldIds.forEach(old::add);
        r.put("newKeyId", newKey.id());
        r.put("rootVersion", out.path("roles").path("root").asInt());
        r.put("keyId", newKey.id());
        return r;
      } catch (Exception e) {
        abortIfOpen(opId, "rotation failed before anything was sent: " + e.getMessage());
        throw e;
      }
    });
  }

  // ---------------------------------------------------------------- the journaled pipeline

  /**
   * Approval (when required) → sign → check → journal → POST → commit. {@code opId} is an operation
   * already begun (rotations) or null (a new publish operation is begun here).
   */
  private ObjectNode signAndSend(String opType, Caller c, RepoState st, NotaryServers.Server srv, Base base,
      RepoEditor ed, ObjectNode plan, List<Change> changes, String rootSummary, String opId) throws Exception {
    String gun = st.gun();
    // a policy approval covers the whole publish: an attempt after another writer's does not ask again
    boolean needsApproval = c.decision() != null && c.decision().approvalRequired()
        && plan.path("attempt").asInt(1) == 1;
    if (needsApproval) {
      String summary = rootSummary != null ? rootSummary
          : gun + ": sign " + String.join(", ", ed.changedRoles()) + " (" + changes.size() + " staged changes)";
      approvals.await(c.identity(), c.method(), gun, ed.changedRoles().contains("root") ? "root" : null, summary);
    }
    // token holders: keys on a token with holders sign only after its holders approved (k of a k-of-n root)
    KeyRing ring = holders.gate(c.identity(), c.method(), gun, rootSummary != null ? rootSummary
        : gun + ": sign " + String.join(", ", ed.changedRoles()), ring(), needs(base, ed));
    if (opId == null) {
      opId = ctx.journal().begin(opType, gun, plan);
      crash.reached(opType, "planned");
    }
    try {
      long t0 = System.nanoTime();
      PublishSet ps = ed.buildPublish(ring);
      long t1 = System.nanoTime();
      Map<String, Integer> versions = checkBuilt(gun, base, ps, changes, OP_ROTATE.equals(opType));
      st.writeInflight(opId, ps.files());
      ObjectNode signed = JsonNodeFactory.instance.objectNode();
      for (Map.Entry<String, byte[]> e : ps.files().entrySet()) {
        String hash = sha256Hex(e.getValue());
        signed.putObject(e.getKey()).put("sha256", hash).put("version", versions.get(e.getKey()));
        audit("sign", c, gun, e.getKey(), null, (long) versions.get(e.getKey()), hash);
      }
      ctx.journal().step(opId, "signed", signed);
      LOG.log(Level.INFO, gun + ": " + opType + " " + opId + " signed " + versions + " in "
          + (t1 - t0) / 1_000_000 + " ms, checked and journaled in " + (System.nanoTime() - t1) / 1_000_000 + " ms");
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
  ObjectNode journaledPublish(String opType, RepoState st, NotaryServers.Server srv, ObjectNode plan,
      RepoShared.SignedFiles build) throws Exception {
    String gun = st.gun();
    plan.put("server", srv.name());
    if (!plan.has("maxSeq")) {
      plan.put("maxSeq", -1);
    }
    String opId = ctx.journal().begin(opType, gun, plan);
    crash.reached(opType, "planned");
    try {
      Map<String, byte[]> files = build.build();
      if (files.isEmpty()) {
        throw new IllegalStateException("nothing to publish");
      }
      st.writeInflight(opId, files);
      ObjectNode signed = JsonNodeFactory.instance.objectNode();
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        signed.putObject(e.getKey()).put("sha256", sha256Hex(e.getValue()))
            .put("version", Signed.parse(e.getValue(), e.getKey()).version());
      }
      ctx.journal().step(opId, "signed", signed);
      crash.reached(opType, "signed");
    } catch (Exception e) {
      abortIfOpen(opId, "nothing was sent: " + e.getMessage());
      st.deleteInflight(opId);
      throw e;
    }
    return sendAndCommit(opType, opId, st, srv, plan, false);
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
          out.add(new TokenHolderGate.Need("root", next.keysOf("root").values(), next.role("root").threshold()));
          if (base.trusted() != null) {
            Root now = base.trusted().root().signed();
            out.add(new TokenHolderGate.Need("root", now.keysOf("root").values(), now.role("root").threshold()));
          }
        }
        case "snapshot" -> out.add(new TokenHolderGate.Need("snapshot", next.keysOf("snapshot").values(),
            next.role("snapshot").threshold(), Set.of(), true));
        case "targets" -> out.add(new TokenHolderGate.Need("targets", next.keysOf("targets").values(),
            next.role("targets").threshold()));
        default -> ed.targets(DelegatedRole.parentOf(role)).flatMap(p -> p.delegationsOrEmpty().role(role)
            .map(d -> {
              List<TufKey> ks = new ArrayList<>();
              d.keyIds().forEach(id -> Optional.ofNullable(p.delegationsOrEmpty().keys().get(id)).ifPresent(ks::add));
              return new TokenHolderGate.Need(role, ks, d.threshold());
            })).ifPresent(out::add);
      }
    }
    return out;
  }

  /** From signed files on disk: POST (unless it happened), then commit; also the resume path of {@link #recover}. */
  private ObjectNode sendAndCommit(String opType, String opId, RepoState st, NotaryServers.Server srv, JsonNode plan,
      boolean postMayHaveHappened) throws Exception {
    String gun = st.gun();
    Map<String, byte[]> files = st.readInflight(opId);
    boolean posted = false;
    int baseTs = plan.path("baseTimestamp").asInt(-1);
    if (postMayHaveHappened) {
      ReadBack.Result rb = readBack(st, srv, files, baseTs);
      if (rb.verdict() == ReadBack.Verdict.SUPERSEDED) {
        ctx.journal().abort(opId, "superseded: another writer published first (" + rb.detail() + "); nothing of"
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
        LOG.log(Level.INFO, gun + ": " + opType + " " + opId + " POST accepted in " + (System.nanoTime() - t0) / 1_000_000
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
  private void refused(String opType, String opId, RepoState st, NotaryServers.Server srv, Map<String, byte[]> files,
      int baseTs, IOException e) throws Exception {
    ReadBack.Result rb;
    try {
      rb = readBack(st, srv, files, baseTs);
    } catch (IOException again) {
      throw e;
    }
    boolean versionRefusal = e instanceof dev.custody.tuf.server.NotaryServerException n
        && dev.custody.tuf.server.NotaryServerException.CONFLICT.equals(n.code());
    if (rb.verdict() == ReadBack.Verdict.STORED) {
      return;
    }
    if (rb.verdict() == ReadBack.Verdict.SUPERSEDED || versionRefusal) {
      ctx.journal().abort(opId, "superseded: the server refused this " + opType + " (" + e.getMessage() + ")"
          + (rb.detail().isEmpty() ? "" : " and serves " + rb.detail()) + "; staged changes are kept");
      st.deleteInflight(opId);
      throw new SupersededException("the server refused it as out of date" + (rb.detail().isEmpty() ? ""
          : ": " + rb.detail()), e);
    }
    ctx.journal().abort(opId, "the server refused the " + opType + ": " + e.getMessage() + "; staged changes are"
        + " kept");
    st.deleteInflight(opId);
    throw e;
  }

  /**
   * After the server answered the POST with success: a publish is done only when the server serves
   * it. Read back (timestamp → snapshot → the roles sent); another writer's version supersedes this
   * attempt, the old state means the server did not store it (METADATA_INVALID, staged changes kept,
   * the journal says so), an unreadable server leaves the operation open (SERVER_UNREACHABLE).
   */
  private void verifyStored(String opId, RepoState st, NotaryServers.Server srv, Map<String, byte[]> files,
      int baseTs) throws Exception {
    String gun = st.gun();
    ReadBack.Result rb;
    try {
      rb = readBack(st, srv, files, baseTs);
    } catch (IOException e) {
      throw new dev.custody.protocol.ServerUnreachableException(srv.name(), gun + ": the server accepted the"
          + " publish but cannot be read back (" + e.getMessage() + "); it stays open in the journal and the next"
          + " command on " + gun + " (or custodyd's next start) checks the server and finishes or undoes it");
    }
    switch (rb.verdict()) {
      case STORED -> { }
      case SUPERSEDED -> {
        ctx.journal().abort(opId, "superseded: the server answered the POST with success but serves another"
            + " writer's version (" + rb.detail() + "); staged changes are kept");
        st.deleteInflight(opId);
        throw new SupersededException("the server took another writer's version: " + rb.detail(), null);
      }
      case NOT_STORED -> {
        ctx.journal().abort(opId, "not stored: the server answered the POST with success but serves what it served"
            + " before (" + rb.detail() + "); nothing was published, staged changes are kept");
        st.deleteInflight(opId);
        throw new dev.custody.protocol.MetadataInvalidException(null, gun + ": " + srv.name() + " answered the"
            + " publish with success but did not store it: it still serves " + rb.detail() + ". Nothing was"
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

  private ObjectNode commit(String opType, String opId, RepoState st, NotaryServers.Server srv, JsonNode plan,
      Map<String, byte[]> files) throws IOException {
    String gun = st.gun();
    if (plan.path("init").asBoolean() && !st.hasTrustedRoot() && files.containsKey("root")) {
      // the server accepted our root: it is the trust anchor from now on (no TOFU)
      st.store().commit(gun, Map.of("root", files.get("root")), Set.of());
    }
    Repository now = null;
    long t0 = System.nanoTime();
    try {
      now = update(st, srv);
      LOG.log(Level.INFO, gun + ": trusted copy updated from the server in " + (System.nanoTime() - t0) / 1_000_000
          + " ms");
    } catch (Exception e) {
      LOG.log(Level.WARNING, gun + ": published, but the update afterwards failed (" + e.getMessage()
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
    ObjectNode result = JsonNodeFactory.instance.objectNode().put("gun", gun);
    ObjectNode roles = result.putObject("roles");
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      try {
        roles.put(e.getKey(), Signed.parse(e.getValue(), e.getKey()).version());
      } catch (TufException ex) {
        roles.put(e.getKey(), -1);
      }
    }
    if (now != null && now.targetsRole("targets").isPresent()) {
      result.put("targets", now.listTargets("targets").size());
    }
    st.deleteInflight(opId);
    ctx.journal().step(opId, "committed", roles);
    crash.reached(opType, "committed");
    ctx.journal().complete(opId, result);
    return result;
  }

  /** Semantic checks on the signed files before anything is sent. */
  private Map<String, Integer> checkBuilt(String gun, Base base, PublishSet ps, List<Change> changes,
      boolean rotation) throws Exception {
    Repository trusted = base.trusted();
    Map<String, Integer> versions = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> e : ps.files().entrySet()) {
      String role = e.getKey();
      Signed<?> s = Signed.parse(e.getValue(), role);
      if (!s.role().equals(role)) {
        throw RepoErrors.internal("refusing to send " + role + ": built as " + s.role(), null);
      }
      int before = trusted == null ? 0 : switch (role) {
        case "root" -> trusted.root().version();
        case "snapshot" -> trusted.snapshot() == null ? 0 : trusted.snapshot().version();
        default -> trusted.targetsRole(role).map(Signed::version).orElse(0);
      };
      if (s.version() != before + 1) {
        throw RepoErrors.internal("refusing to send " + role + " v" + s.version() + ": trusted is v" + before, null);
      }
      versions.put(role, s.version());
      if (role.equals("root")) {
        Root r = (Root) s.signed();
        for (TufKey k : r.keysOf("root").values()) {
          try {
            X509Certificate cert = PublicKeys.leafCertificate(k, "root");
            if (!RootCertificates.matchesGun(cert, gun)) {
              throw RepoErrors.internal("refusing to send root: its root key certificate is not for " + gun, null);
            }
          } catch (UnsupportedKeyTypeException ignored) {
            // a bare root key carries no GUN
          }
        }
        if (trusted != null && !rotation) {
          Root old = trusted.root().signed();
          for (String r2 : Root.BASE_ROLES) {
            if (!old.keysOf(r2).keySet().equals(r.keysOf(r2).keySet())) {
              throw RepoErrors.internal("refusing to send root: keys of " + r2 + " changed outside a rotation", null);
            }
          }
        }
      } else if (!role.equals("snapshot") && trusted != null) {
        Optional<Signed<Targets>> old = trusted.targetsRole(role);
        Targets t = (Targets) s.signed();
        boolean delegationChange = changes.stream()
            .anyMatch(ch -> ch.type().equals(Change.DELEGATION) && ch.scope().equals(role));
        byte[] before2 = old.map(o -> CanonicalJson.encode(o.signed().delegationsOrEmpty().toJson())).orElse(null);
        byte[] after = CanonicalJson.encode(t.delegationsOrEmpty().toJson());
        if (!delegationChange && before2 != null && !Arrays.equals(before2, after)) {
          throw RepoErrors.internal("refusing to send " + role + ": its delegations changed without a staged"
              + " delegation change", null);
        }
      }
    }
    return versions;
  }

  /** "root v3 → v4: snapshot key 1a2b… → server-managed 9f8e…; expires 2036-…". */
  private String rootSummary(String gun, Repository trusted, RepoEditor ed) {
    Root after = ed.root();
    int from = trusted == null ? 0 : trusted.root().version();
    StringBuilder sb = new StringBuilder(gun).append(": root v").append(from).append(" → v").append(from + 1)
        .append(':');
    List<String> parts = new ArrayList<>();
    for (String role : Root.BASE_ROLES) {
      Set<String> now = after.keysOf(role).keySet();
      Set<String> was = trusted == null ? Set.of() : trusted.root().signed().keysOf(role).keySet();
      if (!now.equals(was)) {
        boolean serverKey = role.equals("timestamp") || role.equals("snapshot") && !ownsAny(now);
        parts.add(role + " key " + (was.isEmpty() ? "(new)" : short12(was)) + " → "
            + (serverKey ? "server-managed " : "") + short12(now));
      }
    }
    if (parts.isEmpty()) {
      parts.add("re-signed, keys unchanged");
    }
    sb.append(' ').append(String.join("; ", parts));
    sb.append("; expires ").append(OffsetDateTime.ofInstant(ctx.clock().instant(), ZoneOffset.UTC)
        .plus(RepoEditor.ROOT_EXPIRY).toLocalDate());
    return sb.toString();
  }

  private boolean ownsAny(Set<String> keyIds) {
    try {
      KeyService ks = keys.get();
      return keyIds.stream().anyMatch(id -> ks.findSigner(id).isPresent());
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static String short12(Set<String> ids) {
    return String.join(",", ids.stream().map(i -> i.substring(0, Math.min(8, i.length())) + "…").toList());
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

  Repository update(RepoState st, NotaryServers.Server srv) throws Exception {
    return Updater.builder().gun(st.gun()).fetcher(new NotaryMetaFetcher(srv.client(), st.gun())).store(st.store())
        .clock(ctx.clock()).build().update();
  }

  // ---------------------------------------------------------------- recovery

  /**
   * Finishes or rolls back an operation left by a crash: with its signed files on disk it is sent
   * (after checking whether the server already has it) and committed; without, it is rolled back.
   */
  boolean recover(PendingOperation op) throws Exception {
    if (!journaledHere(op.type())) {
      return false;
    }
    RepoState st = state(op.gun());
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
      ctx.journal().abort(op.id(), "rolled back after a restart: nothing was signed or sent"
          + (op.findStep("key-created").isPresent() ? " (the new key stays on its token, unused)" : "")
          + "; staged changes are kept");
      st.deleteInflight(op.id());
      auditRecovery(op, "rolled-back");
      return;
    }
    NotaryServers.Server srv = servers.get(op.plan().path("server").asText(null));
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
  private void settlePending(String gun) throws Exception {
    for (PendingOperation op : ctx.journal().pending()) {
      if (op.gun().equals(gun) && journaledHere(op.type())) {
        recoverLocked(op, state(gun));
      }
    }
  }

  private void abortIfOpen(String opId, String reason) {
    try {
      if (ctx.journal().findPending(opId).isPresent()) {
        ctx.journal().abort(opId, reason);
      }
    } catch (IOException e) {
      LOG.log(Level.ERROR, "cannot abort journaled operation " + opId + ": " + e.getMessage());
    }
  }

  private void auditRecovery(PendingOperation op, String outcome) throws IOException {
    ctx.audit().append(AuditRecord.builder("repo.recover").caller(dev.custody.daemon.policy.UnixAccounts.selfUid(),
        dev.custody.daemon.policy.UnixAccounts.selfGid(), ProcessHandle.current().pid()).gun(op.gun()).result(outcome)
        .message(op.type() + " " + op.id() + " " + outcome + " after a restart (last step: "
            + op.lastStep().map(JournalStep::name).orElse("none") + ")").build());
  }

  private void audit(String event, Caller c, String gun, String role, String keyId, Long version) throws IOException {
    audit(event, c, gun, role, keyId, version, null);
  }

  private void audit(String event, Caller c, String gun, String role, String keyId, Long version, String hash)
      throws IOException {
    ctx.audit().append(AuditRecord.builder(event).caller(c.identity().uid(), c.identity().gid(), c.identity().pid())
        .gun(gun).role(role).keyId(keyId).version(version).metadataHash(hash)
        .rule(c.decision() == null ? null : c.decision().ruleOrNone()).result("ok").build());
  }

  // ---------------------------------------------------------------- plumbing

  @FunctionalInterface
  interface Body {
    ObjectNode run() throws Exception;
  }

  ObjectNode locked(String gun, NotaryServers.Server srv, Body body) throws CustodyException {
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
        settlePending(gun);
      }
      return body.run();
    } catch (Exception e) {
      throw RepoErrors.of(gun, srv == null ? null : srv.name(), e);
    } finally {
      held.close();
    }
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
