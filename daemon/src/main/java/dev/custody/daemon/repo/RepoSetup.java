package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.keys.KeyService;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.DeleteResult;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.results.Adopted;
import dev.custody.protocol.results.Initialized;
import dev.custody.tuf.UnsupportedKeyTypeException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.ServerKeys;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.sign.SignerFactory;
import dev.custody.tuf.update.NotaryMetaFetcher;
import dev.custody.tuf.update.Updater;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * How a GUN comes to be trusted here and goes away: {@code repo.init} (new keys, optionally published
 * at once), {@code repo.adopt} (a repository that already exists on the server, trusted through root
 * keys this daemon holds or the caller names) and {@code repo.delete}.
 */
final class RepoSetup {
    private final Repos repos;
    private final DaemonContext ctx;
    private final Supplier<KeyService> keys;
    private final NotaryServers servers;
    private final Publishing publishing;

    RepoSetup(Repos repos, Publishing publishing) {
        this.repos = repos;
        this.ctx = repos.context();
        this.keys = repos.keys();
        this.servers = repos.servers();
        this.publishing = publishing;
    }

    Initialized init(Repos.Caller c, RepoParams.Init p) throws CustodyException {
        String gun = p.requiredGun();
        List<String> rootIds = p.rootKeyIdList();
        int threshold = p.checkedThreshold();
        NotaryServers.Server srv = servers.get(p.server(), p.serverCaSha256());
        return repos.locked(gun, srv, () -> {
            RepoState st = repos.state(gun);
            if (st.hasTrustedRoot() || st.info().map(i -> i.has("pendingInit")).orElse(false)) {
                throw new ConflictException(
                        gun, gun + " is already initialised here (repo.delete it first to start over)");
            }
            KeyService ks = keys.get();
            SignerFactory factory = ks.signerFactory(Optional.ofNullable(p.token()));
            List<Signer> roots = new ArrayList<>();
            for (String id : rootIds) {
                roots.add(ks.findSigner(id)
                        .orElseThrow(() -> new NotFoundException(
                                "key", id, "no key " + id + " in the inventory (key.list shows them)")));
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
            TufKey snapshotKey = serverSnapshot
                    ? sk.get(gun, "snapshot")
                    : factory.generate(gun, "snapshot").key();
            TufKey timestampKey = sk.get(gun, "timestamp");
            for (Signer root : roots) {
                ks.assign(root.keyId(), "root", gun);
            }
            ks.assign(targets.keyId(), "targets", gun);
            if (!serverSnapshot) {
                ks.assign(snapshotKey.id(), "snapshot", gun);
            }
            ObjectNode info =
                    JsonNodeFactory.instance.objectNode().put("gun", gun).put("server", srv.name());
            ObjectNode pi = info.putObject("pendingInit");
            ArrayNode rk = pi.putArray("rootKeys");
            rootCerts.forEach(k -> rk.add(k.toJson()));
            pi.put("rootThreshold", threshold);
            pi.set("targets", targets.key().toJson());
            pi.set("snapshot", snapshotKey.toJson());
            pi.set("timestamp", timestampKey.toJson());
            pi.put("serverManagedSnapshot", serverSnapshot);
            st.writeInfo(info);
            repos.audit("repo.init.keys", c, gun, "root", rootCerts.get(0).id(), null);
            boolean published = false;
            if (RepoParams.flag(p.publish())) {
                publishing.publishLocked(c, st, srv);
                published = true;
            }
            return new Initialized(
                    gun,
                    rootCerts.stream().map(TufKey::id).toList(),
                    targets.keyId(),
                    serverSnapshot ? null : snapshotKey.id(),
                    published);
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
    Adopted adopt(Repos.Caller c, RepoParams.Adopt p) throws CustodyException {
        String gun = RepoParams.required(p.gun(), "gun");
        NotaryServers.Server srv = servers.get(p.server());
        return repos.locked(gun, srv, () -> {
            RepoState st = repos.state(gun);
            if (st.hasTrustedRoot() || st.info().map(i -> i.has("pendingInit")).orElse(false)) {
                throw new ConflictException(
                        gun,
                        gun + " is already trusted here: nothing to adopt (repo.delete it first to" + " start over)");
            }
            KeyService ks = keys.get();
            List<KeyService.KeyRecord> inventory = ks.allKeys();
            boolean named = p.rootKeyIds() != null && !p.rootKeyIds().isEmpty();
            List<String> anchors = anchors(gun, p, inventory);
            Repository repo = pinnedUpdate(gun, srv, st, anchors, named);
            Set<String> held = new java.util.HashSet<>();
            inventory.forEach(k -> held.add(k.keyId()));
            Root root = repo.root().signed();
            Map<String, Adopted.RoleKeys> roles = new LinkedHashMap<>();
            List<String> notes = new ArrayList<>();
            String keyId = null;
            for (String role : Root.BASE_ROLES) {
                Adopted.RoleKeys roleKeys = roleKeys(root.keysOf(role), held);
                List<String> mine = roleKeys.onTokens();
                if (!mine.isEmpty()) {
                    roleKeys = roleKeys.at("tokens");
                }
                if (role.equals("root")) {
                    keyId = anchors.stream()
                            .filter(mine::contains)
                            .findFirst()
                            .or(() -> mine.stream().findFirst())
                            .orElse(null);
                }
                for (String id : mine) {
                    KeyService.KeyRecord k = inventory.stream()
                            .filter(r -> r.keyId().equals(id))
                            .findFirst()
                            .orElseThrow();
                    if (!role.equals("root") && k.gun().isEmpty()) {
                        ks.assign(id, role, gun);
                    }
                }
                if (mine.isEmpty() && role.equals("targets")) {
                    notes.add(
                            "targets: its key is not on this daemon's tokens; only delegations whose keys are can publish");
                } else if (mine.isEmpty() && role.equals("snapshot")) {
                    String note = snapshotKeyNote(gun, srv, root);
                    roleKeys = roleKeys.at(note.startsWith("snapshot: the server signs") ? "server" : "elsewhere");
                    notes.add(note);
                } else if (mine.isEmpty() && role.equals("root")) {
                    notes.add("root: no root key on this daemon's tokens; root rotations need one");
                }
                roles.put(role, roleKeys);
            }
            Adopted out = new Adopted(
                    gun, srv.name(), root.version(), root.version(), roles, keyId, delegationKeys(repo, held), notes);
            writeAdopted(st, gun, srv, root, named);
            return out;
        });
    }

    /** The root key IDs the server's root must be signed by: those named, else the inventory's root keys. */
    private static List<String> anchors(String gun, RepoParams.Adopt p, List<KeyService.KeyRecord> inventory)
            throws BadRequestException {
        boolean named = p.rootKeyIds() != null && !p.rootKeyIds().isEmpty();
        List<String> anchors = named
                ? List.copyOf(p.rootKeyIds())
                : inventory.stream()
                        .filter(k -> k.role().equals("root"))
                        .map(KeyService.KeyRecord::keyId)
                        .toList();
        if (anchors.isEmpty()) {
            throw new BadRequestException(
                    "no root key in this daemon's inventory to check " + gun + "'s root against:"
                            + " import the repository's root key (key.import), or name the root key ID you checked out of band"
                            + " (params.rootKeyIds)",
                    "params.rootKeyIds");
        }
        return anchors;
    }

    /**
     * The repository on {@code srv}, verified as on every update, its bootstrap root trusted only if signed
     * to its threshold by {@code anchors} (Notary trust pinning by key ID).
     */
    private Repository pinnedUpdate(
            String gun, NotaryServers.Server srv, RepoState st, List<String> anchors, boolean named) throws Exception {
        try {
            return Updater.builder()
                    .gun(gun)
                    .fetcher(new NotaryMetaFetcher(srv.client(), gun))
                    .store(st.store())
                    .clock(ctx.clock())
                    .trustPinning(dev.custody.tuf.verify.TrustPinning.keyIds(gun, anchors))
                    .build()
                    .update();
        } catch (dev.custody.tuf.TrustPinException | dev.custody.tuf.SignatureThresholdException e) {
            throw new dev.custody.protocol.MetadataInvalidException(
                    "root",
                    gun + ": the root on " + srv.name()
                            + " is not signed by "
                            + (named
                                    ? "the named root key(s) " + PublishChecks.short12(Set.copyOf(anchors))
                                    : "a root key on this daemon's tokens")
                            + " (" + e.getMessage() + "); nothing was trusted");
        }
    }

    /** The keys of every delegation of {@code repo}, and those of them on this daemon's tokens. */
    private static Map<String, Adopted.RoleKeys> delegationKeys(Repository repo, Set<String> held) {
        Map<String, Adopted.RoleKeys> dels = new LinkedHashMap<>();
        for (Map.Entry<String, Signed<Targets>> t : repo.targets().entrySet()) {
            var d = t.getValue().signed().delegationsOrEmpty();
            for (DelegatedRole r : d.roles()) {
                Map<String, TufKey> ks2 = new LinkedHashMap<>();
                r.keyIds().forEach(id -> Optional.ofNullable(d.keys().get(id)).ifPresent(k -> ks2.put(id, k)));
                dels.put(r.name(), roleKeys(ks2, held));
            }
        }
        return dels;
    }

    /** Records in the GUN's info file that it was adopted, when and through which anchors. */
    private void writeAdopted(RepoState st, String gun, NotaryServers.Server srv, Root root, boolean named)
            throws java.io.IOException {
        ObjectNode info = JsonNodeFactory.instance.objectNode().put("gun", gun).put("server", srv.name());
        info.putObject("adopted")
                .put("time", ctx.clock().instant().toString())
                .put("rootVersion", root.version())
                .put("anchors", named ? "named" : "inventory");
        st.writeInfo(info);
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
            return "snapshot: its key is not on this daemon's tokens, and " + srv.name()
                    + " could not be asked whether it" + " holds it (" + e.getMessage() + ")";
        }
        if (rootIds.contains(serverId)) {
            return "snapshot: the server signs it (its key " + serverId.substring(0, 8) + "… is the one root lists):"
                    + " publishing works from this daemon";
        }
        return "snapshot: its key is not on this daemon's tokens and not on the server (the server's is "
                + serverId.substring(0, 8) + "…, root lists " + PublishChecks.short12(rootIds)
                + "): only the host holding it can publish;"
                + " `custody key rotate " + gun + " snapshot -r` there hands it to the server";
    }

    /** The keys of one role, and (as bare IDs) those of them held here. */
    private static Adopted.RoleKeys roleKeys(Map<String, TufKey> roleKeys, Set<String> held) {
        List<String> ids = new ArrayList<>();
        List<String> onTokens = new ArrayList<>();
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
            }
        }
        return new Adopted.RoleKeys(ids, onTokens, null);
    }

    DeleteResult delete(String gun, boolean remote, String server) throws CustodyException {
        NotaryServers.Server srv = remote ? servers.get(server) : null;
        return repos.locked(gun, srv, () -> {
            RepoState st = repos.state(gun);
            if (remote) {
                srv.client().delete(gun);
            } else if (!st.exists()) {
                throw new NotFoundException("repository", gun, gun + " is not known here");
            }
            st.deleteAll();
            return new DeleteResult(gun, true, remote);
        });
    }
}
