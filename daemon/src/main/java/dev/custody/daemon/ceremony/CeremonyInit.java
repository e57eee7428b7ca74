package dev.custody.daemon.ceremony;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.keys.KeyService;
import dev.custody.daemon.repo.RepoShared;
import dev.custody.daemon.repo.RepoState;
import dev.custody.daemon.repo.TokenHolderGate;
import dev.custody.daemon.rpc.Call;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.results.CeremonyInitPrepared;
import dev.custody.protocol.results.CeremonyPublished;
import dev.custody.tuf.ceremony.Bundle;
import dev.custody.tuf.ceremony.Ceremony;
import dev.custody.tuf.ceremony.WrongGunException;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.repo.PublishSet;
import dev.custody.tuf.repo.ServerKeys;
import dev.custody.tuf.server.NotFoundException;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.sign.SignerFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The {@code init} ceremony: a repository whose root keys never come online. {@link #prepare} (online) makes
 * the targets and snapshot keys, asks the server for its timestamp key and writes root v1 over the root
 * certificates made offline ({@code ceremony.rootCert}); the offline daemon signs it
 * ({@link CeremonyService#sign}); {@link #publish} (online) checks it, makes and signs targets and snapshot v1,
 * sends the three as one journaled publish and from then on trusts that root, as {@code repo.init} would.
 */
final class CeremonyInit {
    private final DaemonContext ctx;
    private final Supplier<KeyService> keys;
    private final Supplier<RepoShared> repo;
    private final CeremonyService service;

    CeremonyInit(DaemonContext ctx, Supplier<KeyService> keys, Supplier<RepoShared> repo, CeremonyService service) {
        this.ctx = ctx;
        this.keys = keys;
        this.repo = repo;
        this.service = service;
    }

    CeremonyInitPrepared prepare(Call call, CeremonyParams.Prepare p, String gun) throws CustodyException {
        if (p.newRootKeyIds() != null && !p.newRootKeyIds().isEmpty()) {
            throw new BadRequestException(
                    "init takes the root certificates made offline (params.newRootKeys), not key"
                            + " IDs: its root keys never come online",
                    "params.newRootKeyIds");
        }
        List<TufKey> rootKeys = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String pem : p.newRootKeys() == null ? List.<String>of() : p.newRootKeys()) {
            TufKey k = CeremonyKeys.certificateKey(gun, pem, "params.newRootKeys");
            if (seen.add(k.id())) {
                rootKeys.add(k);
            }
        }
        if (rootKeys.isEmpty()) {
            throw new BadRequestException(
                    "init needs the root certificates made offline (custody ceremony root-cert):"
                            + " params.newRootKeys",
                    "params.newRootKeys");
        }
        int threshold = p.rootThreshold() == null ? 1 : p.rootThreshold();
        if (threshold < 1 || threshold > rootKeys.size()) {
            throw new BadRequestException(
                    "params.rootThreshold must be between 1 and " + rootKeys.size(), "params.rootThreshold");
        }
        return repo.get().online(gun, p.server(), p.serverCaSha256(), (st, srv) -> {
            refuseExisting(st, srv, gun);
            KeyService ks = keys.get();
            SignerFactory factory = ks.signerFactory(Optional.ofNullable(p.token()));
            ServerKeys sk = ServerKeys.of(srv.client());
            Signer targets = factory.generate(gun, "targets");
            ks.assign(targets.keyId(), "targets", gun);
            boolean serverSnapshot = Boolean.TRUE.equals(p.serverManaged());
            TufKey snapshot;
            if (serverSnapshot) {
                snapshot = sk.get(gun, "snapshot");
            } else {
                Signer s = factory.generate(gun, "snapshot");
                ks.assign(s.keyId(), "snapshot", gun);
                snapshot = s.key();
            }
            Bundle bundle;
            try {
                bundle = Ceremony.prepareInit(
                        gun, rootKeys, threshold, targets.key(), snapshot, sk.get(gun, "timestamp"), ctx.clock());
            } catch (IllegalArgumentException e) {
                throw new BadRequestException("init: " + e.getMessage(), "params.newRootKeys");
            }
            byte[] file = bundle.toBytes();
            service.audit(
                    "ceremony.prepare",
                    call,
                    gun,
                    "root",
                    null,
                    1L,
                    file,
                    bundle.operation().word());
            return CeremonyInitPrepared.of(
                    CeremonyService.preparedResult(gun, bundle, file, 0, 1),
                    targets.keyId(),
                    serverSnapshot ? null : snapshot.id());
        });
    }

    /** Refuses to start a repository this daemon trusts already, or one the server has. */
    private static void refuseExisting(RepoState st, RepoShared.Server srv, String gun) throws Exception {
        if (st.hasTrustedRoot() || st.info().map(i -> i.has("pendingInit")).orElse(false)) {
            throw new ConflictException(
                    gun,
                    gun + " is already initialised here: init starts a new repository (rotate"
                            + " the root of this one with ceremony prepare --rotate root)");
        }
        try {
            srv.client().getRole(gun, "root");
        } catch (NotFoundException e) {
            return;
        }
        throw new ConflictException(
                gun,
                gun + " already exists on " + srv.name() + ": init starts a new repository"
                        + " (custody adopt trusts an existing one)");
    }

    /** The offline side: an init bundle is signed only where no root is trusted for its GUN yet. */
    void checkSignable(RepoState st, Bundle parsed, String gun) throws Exception {
        if (!parsed.gun().equals(gun)) {
            throw new WrongGunException(gun, parsed.gun());
        }
        if (st.store().find(gun, "root").isPresent()) {
            throw new ConflictException(
                    gun, gun + ": a root is already trusted here; an init bundle would start the" + " repository over");
        }
    }

    CeremonyPublished publish(Call call, Bundle bundle, String gun, RepoState st, RepoShared.Server srv)
            throws Exception {
        if (!bundle.gun().equals(gun)) {
            throw new WrongGunException(gun, bundle.gun());
        }
        Signed<?> newRoot = bundle.changes().get("root");
        Optional<byte[]> trusted = st.store().find(gun, "root");
        if (trusted.isPresent()) {
            if (Arrays.equals(Signed.parse(trusted.get(), "root").canonical(), newRoot.canonical())) {
                return CeremonyPublished.already(gun, 1);
            }
            throw new ConflictException(
                    gun, gun + " is already trusted here with another root; this init bundle cannot" + " be published");
        }
        refuseExisting(st, srv, gun);
        String summary = String.join("\n", bundle.summary());
        if (call.decision() != null && call.decision().approvalRequired()) {
            repo.get().awaitApproval(call.caller(), call.method(), gun, "root", summary);
        }
        Root next = (Root) newRoot.signed();
        List<TokenHolderGate.Need> needs = List.of(
                new TokenHolderGate.Need(
                        "targets",
                        next.keysOf("targets").values(),
                        next.role("targets").threshold()),
                new TokenHolderGate.Need(
                        "snapshot",
                        next.keysOf("snapshot").values(),
                        next.role("snapshot").threshold(),
                        Set.of(),
                        true));
        KeyRing online = repo.get().gateByHolders(call.caller(), call.method(), gun, summary, service.ring(), needs);
        if (st.info().isEmpty()) {
            st.writeInfo(JsonNodeFactory.instance.objectNode().put("gun", gun).put("server", srv.name()));
        }
        // journaled like repo.init's first publish: the root is pinned once the server has it
        ObjectNode plan = JsonNodeFactory.instance
                .objectNode()
                .put("operation", bundle.operation().word())
                .put("fromRootVersion", 0)
                .put("init", true)
                .put("assignOnlineKeys", true);
        Map<String, byte[]> sent = new LinkedHashMap<>();
        repo.get().journaledPublish(st, srv, plan, () -> {
            PublishSet ps = Ceremony.verifyInitForPublish(bundle, online, ctx.clock());
            sent.putAll(ps.files());
            return ps.files();
        });
        return new CeremonyPublished(gun, service.auditSent(call, gun, bundle, sent), 1, null);
    }
}
