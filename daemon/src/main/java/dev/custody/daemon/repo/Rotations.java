package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.keys.KeyService;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.results.Published;
import dev.custody.protocol.results.Rotated;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.RepoEditor;
import dev.custody.tuf.repo.ServerKeys;
import dev.custody.tuf.sign.Signer;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** {@code key.rotate}: a new key for a base role, journaled as one operation with its publish. */
final class Rotations {
    private final Repos repos;
    private final DaemonContext ctx;
    private final Supplier<KeyService> keys;
    private final NotaryServers servers;
    private final PublishPipeline pipeline;
    private final CrashPoints crash;

    Rotations(Repos repos) {
        this.repos = repos;
        this.ctx = repos.context();
        this.keys = repos.keys();
        this.servers = repos.servers();
        this.pipeline = repos.pipeline();
        this.crash = repos.crash();
    }

    Rotated rotate(Repos.Caller c, RepoParams.Rotate p) throws CustodyException {
        String gun = p.requiredGun();
        String role = p.checkedRole();
        boolean serverManaged = RepoParams.flag(p.serverManaged());
        NotaryServers.Server srv = servers.get(p.server(), p.serverCaSha256());
        return repos.locked(gun, srv, () -> {
            RepoState st = repos.state(gun);
            if (!st.hasTrustedRoot()) {
                throw new NotFoundException("repository", gun, gun + " is not published yet (repo.publish it first)");
            }
            Repository repo = repos.update(st, srv);
            RepoEditor ed = RepoEditor.load(repo, ctx.clock());
            List<String> oldIds = List.copyOf(repo.root().signed().keysOf(role).keySet());
            ObjectNode plan = JsonNodeFactory.instance
                    .objectNode()
                    .put("server", srv.name())
                    .put("maxSeq", -1)
                    .put("init", false)
                    .put("role", role)
                    .put("serverManaged", serverManaged)
                    .put("fromRootVersion", repo.root().signed().version());
            String opId = ctx.journal().begin(PublishPipeline.OP_ROTATE, gun, plan);
            crash.reached(PublishPipeline.OP_ROTATE, "planned");
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
                ctx.journal()
                        .step(
                                opId,
                                "key-created",
                                JsonNodeFactory.instance
                                        .objectNode()
                                        .put("keyId", newKey.id())
                                        .put("serverManaged", serverManaged));
                crash.reached(PublishPipeline.OP_ROTATE, "key-created");
                repos.audit("key.rotate.key", c, gun, role, newKey.id(), null);
                String summary = repos.checks().rootSummary(gun, repo, ed);
                Published out = pipeline.signAndSend(
                        PublishPipeline.OP_ROTATE,
                        c,
                        st,
                        srv,
                        new PublishPipeline.Base(ed, repo, false),
                        ed,
                        plan,
                        List.of(),
                        summary,
                        opId);
                return new Rotated(gun, role, oldIds, newKey.id(), out.versionOf("root"), newKey.id());
            } catch (Exception e) {
                pipeline.abortIfOpen(opId, "rotation failed before anything was sent: " + e.getMessage());
                throw e;
            }
        });
    }
}
