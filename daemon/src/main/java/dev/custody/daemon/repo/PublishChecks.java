package dev.custody.daemon.repo;

import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.keys.KeyService;
import dev.custody.tuf.UnsupportedKeyTypeException;
import dev.custody.tuf.canonical.CanonicalJson;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.PublishSet;
import dev.custody.tuf.repo.RepoEditor;
import java.security.cert.X509Certificate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/** What is checked and shown before anything is signed or sent: the built files, and a root change's summary. */
final class PublishChecks {
    private final DaemonContext ctx;
    private final Supplier<KeyService> keys;

    PublishChecks(DaemonContext ctx, Supplier<KeyService> keys) {
        this.ctx = ctx;
        this.keys = keys;
    }

    /** Semantic checks on the signed files before anything is sent. */
    Map<String, Integer> checkBuilt(
            String gun, PublishPipeline.Base base, PublishSet ps, List<Change> changes, boolean rotation)
            throws Exception {
        Repository trusted = base.trusted();
        Map<String, Integer> versions = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : ps.files().entrySet()) {
            String role = e.getKey();
            Signed<?> s = Signed.parse(e.getValue(), role);
            if (!s.role().equals(role)) {
                throw RepoErrors.internal("refusing to send " + role + ": built as " + s.role(), null);
            }
            int before = trusted == null
                    ? 0
                    : switch (role) {
                        case "root" -> trusted.root().version();
                        case "snapshot" ->
                            trusted.snapshot() == null ? 0 : trusted.snapshot().version();
                        default ->
                            trusted.targetsRole(role).map(Signed::version).orElse(0);
                    };
            if (s.version() != before + 1) {
                throw RepoErrors.internal(
                        "refusing to send " + role + " v" + s.version() + ": trusted is v" + before, null);
            }
            versions.put(role, s.version());
            if (role.equals("root")) {
                Root r = (Root) s.signed();
                for (TufKey k : r.keysOf("root").values()) {
                    try {
                        X509Certificate cert = PublicKeys.leafCertificate(k, "root");
                        if (!RootCertificates.matchesGun(cert, gun)) {
                            throw RepoErrors.internal(
                                    "refusing to send root: its root key certificate is not for " + gun, null);
                        }
                    } catch (UnsupportedKeyTypeException ignored) {
                        // a bare root key carries no GUN
                    }
                }
                if (trusted != null && !rotation) {
                    Root old = trusted.root().signed();
                    for (String r2 : Root.BASE_ROLES) {
                        if (!old.keysOf(r2).keySet().equals(r.keysOf(r2).keySet())) {
                            throw RepoErrors.internal(
                                    "refusing to send root: keys of " + r2 + " changed outside a rotation", null);
                        }
                    }
                }
            } else if (!role.equals("snapshot") && trusted != null) {
                Optional<Signed<Targets>> old = trusted.targetsRole(role);
                Targets t = (Targets) s.signed();
                boolean delegationChange = changes.stream()
                        .anyMatch(ch -> ch.type().equals(Change.DELEGATION)
                                && ch.scope().equals(role));
                byte[] before2 = old.map(o -> CanonicalJson.encode(
                                o.signed().delegationsOrEmpty().toJson()))
                        .orElse(null);
                byte[] after = CanonicalJson.encode(t.delegationsOrEmpty().toJson());
                if (!delegationChange && before2 != null && !Arrays.equals(before2, after)) {
                    throw RepoErrors.internal(
                            "refusing to send " + role + ": its delegations changed without a staged"
                                    + " delegation change",
                            null);
                }
            }
        }
        return versions;
    }

    /** "root v3 → v4: snapshot key 1a2b… → server-managed 9f8e…; expires 2036-…". */
    String rootSummary(String gun, Repository trusted, RepoEditor ed) {
        Root after = ed.root();
        int from = trusted == null ? 0 : trusted.root().version();
        StringBuilder sb = new StringBuilder(gun)
                .append(": root v")
                .append(from)
                .append(" → v")
                .append(from + 1)
                .append(':');
        List<String> parts = new ArrayList<>();
        for (String role : Root.BASE_ROLES) {
            Set<String> now = after.keysOf(role).keySet();
            Set<String> was = trusted == null
                    ? Set.of()
                    : trusted.root().signed().keysOf(role).keySet();
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
        sb.append("; expires ")
                .append(OffsetDateTime.ofInstant(ctx.clock().instant(), ZoneOffset.UTC)
                        .plus(RepoEditor.ROOT_EXPIRY)
                        .toLocalDate());
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

    static String short12(Set<String> ids) {
        return String.join(
                ",",
                ids.stream()
                        .map(i -> i.substring(0, Math.min(8, i.length())) + "…")
                        .toList());
    }
}
