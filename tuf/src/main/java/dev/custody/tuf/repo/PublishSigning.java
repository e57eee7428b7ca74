package dev.custody.tuf.repo;

import dev.custody.tuf.SignatureThresholdException;
import dev.custody.tuf.TufException;
import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Metadata;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Snapshot;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.sign.Signing;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** How {@link RepoEditor#buildPublish} finds its signers and makes the snapshot over what it signed. */
final class PublishSigning {
    private PublishSigning() {}

    static List<Signer> signersFor(String role, Iterable<TufKey> keys, int threshold, KeyRing ring)
            throws SignatureThresholdException {
        List<Signer> signers = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (TufKey k : keys) {
            Optional<Signer> s = ring.find(k);
            if (s.isPresent()) {
                signers.add(s.get());
            } else {
                missing.add(k.id());
            }
        }
        if (signers.size() < threshold) {
            throw new SignatureThresholdException(role, threshold, signers.size(), missing);
        }
        return signers;
    }

    /**
     * {@code t}, signed by the keys {@code effectiveRoot} names for {@code targets}, or for a delegated role
     * by the keys its {@code parent} delegates it to.
     */
    static Signed<Targets> signTargets(String role, Targets t, Root effectiveRoot, Targets parent, KeyRing ring)
            throws TufException {
        Map<String, TufKey> keys;
        int threshold;
        if ("targets".equals(role)) {
            keys = effectiveRoot.keysOf("targets");
            threshold = effectiveRoot.role("targets").threshold();
        } else {
            DelegatedRole entry = parent.delegationsOrEmpty().role(role).orElseThrow();
            keys = new LinkedHashMap<>();
            for (String id : entry.keyIds()) {
                TufKey k = parent.delegationsOrEmpty().keys().get(id);
                if (k != null) {
                    keys.put(id, k);
                }
            }
            threshold = entry.threshold();
        }
        return Signing.sign(role, t, signersFor(role, keys.values(), threshold, ring));
    }

    @SuppressWarnings("unchecked")
    static <T extends Metadata> Signed<T> cast(Signed<? extends Metadata> s, Class<T> type) {
        if (!type.isInstance(s.signed())) {
            throw new IllegalArgumentException(s.role() + " is not " + type.getSimpleName() + " metadata");
        }
        return (Signed<T>) s;
    }

    /**
     * The next snapshot over {@code out}, signed by the snapshot keys in {@code ring}; null when the ring
     * holds none of them (the server signs it).
     */
    static Signed<Snapshot> signSnapshot(
            Root effectiveRoot,
            Signed<Root> signedRoot,
            Map<String, byte[]> out,
            List<String> order,
            Collection<String> removed,
            Signed<Snapshot> publishedSnapshot,
            OffsetDateTime expires,
            OffsetDateTime now,
            KeyRing ring)
            throws TufException {
        Map<String, TufKey> keys = effectiveRoot.keysOf("snapshot");
        int threshold = effectiveRoot.role("snapshot").threshold();
        List<Signer> available = new ArrayList<>();
        for (TufKey k : keys.values()) {
            ring.find(k).ifPresent(available::add);
        }
        if (available.isEmpty()) {
            return null;
        }
        if (available.size() < threshold) {
            throw new SignatureThresholdException("snapshot", threshold, available.size(), List.copyOf(keys.keySet()));
        }
        Snapshot base =
                publishedSnapshot != null ? publishedSnapshot.signed() : new Snapshot(0, now, Map.of(), Map.of());
        Snapshot s = base;
        byte[] rootBytes = out.containsKey("root") ? out.get("root") : null;
        if (rootBytes != null || s.metaFor("root").isEmpty()) {
            s = s.withMeta("root", FileMeta.of(rootBytes != null ? rootBytes : signedRoot.toBytes()));
        }
        for (String role : order) {
            s = s.withMeta(role, FileMeta.of(out.get(role)));
        }
        for (String role : removed) {
            s = s.withoutMeta(role);
        }
        s = s.withVersion(base.version() + 1).withExpires(expires);
        return Signing.sign("snapshot", s, available);
    }
}
