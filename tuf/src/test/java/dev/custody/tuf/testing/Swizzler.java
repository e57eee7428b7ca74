package dev.custody.tuf.testing;

import dev.custody.tuf.TufException;
import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Metadata;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signature;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Snapshot;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.model.Timestamp;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.sign.Signing;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Breaks valid metadata of a real repository one thing at a time (after Notary's MetadataSwizzler):
 * edits a role and re-signs it with the repository's own keys (the {@link KeyRing}), or corrupts it
 * without re-signing; {@link #refreshSnapshot} and {@link #refreshTimestamp} re-sign the roles above so
 * that only the intended thing is wrong.
 */
public final class Swizzler {
    private final InMemoryRepo repo;
    private final KeyRing keys;

    public Swizzler(InMemoryRepo repo, KeyRing keys) {
        this.repo = repo;
        this.keys = keys;
    }

    public InMemoryRepo repo() {
        return repo;
    }

    @SuppressWarnings("unchecked")
    public <T extends Metadata> Signed<T> parsed(String role) throws TufException {
        return (Signed<T>) Signed.parse(repo.get(role), role);
    }

    /** Replaces {@code role}'s metadata with {@code edit} of it, signed by the role's keys. */
    @SuppressWarnings("unchecked")
    public <T extends Metadata> Swizzler resign(String role, UnaryOperator<T> edit) throws TufException {
        Signed<T> s = parsed(role);
        T changed = edit.apply(s.signed());
        return put(role, Signing.sign(role, changed, signersFor(role, changed)));
    }

    /** Re-signs with the given signers only. */
    public <T extends Metadata> Swizzler resignWith(String role, UnaryOperator<T> edit, List<? extends Signer> signers)
            throws TufException {
        Signed<T> s = parsed(role);
        return put(role, Signing.sign(role, edit.apply(s.signed()), signers));
    }

    public Swizzler put(String role, Signed<?> s) {
        repo.put(role, s.toBytes());
        return this;
    }

    public Swizzler putBytes(String role, byte[] bytes) {
        repo.put(role, bytes);
        return this;
    }

    /** Keeps the metadata, replaces the signatures. */
    public Swizzler signatures(String role, List<Signature> sigs) throws TufException {
        return put(role, parsed(role).withSignatures(sigs));
    }

    /** Flips one bit in every signature of {@code role}. */
    public Swizzler corruptSignatures(String role) throws TufException {
        List<Signature> out = new ArrayList<>();
        for (Signature s : parsed(role).signatures()) {
            byte[] v = s.value();
            v[v.length / 2] ^= 0x01;
            out.add(new Signature(s.keyId(), s.method(), v));
        }
        return signatures(role, out);
    }

    /** Snapshot meta recomputed for {@code roles} from their current bytes; version + 1; re-signed. */
    public Swizzler refreshSnapshot(String... roles) throws TufException {
        return resign("snapshot", (Snapshot s) -> {
            Snapshot out = s;
            for (String r : roles) {
                out = out.withMeta(r, FileMeta.of(repo.get(r)));
            }
            return out.withVersion(s.version() + 1);
        });
    }

    /** Timestamp meta for the current snapshot bytes; version + 1; re-signed. */
    public Swizzler refreshTimestamp() throws TufException {
        byte[] snap = repo.get("snapshot");
        return resign(
                "timestamp",
                (Timestamp t) -> t.withMeta("snapshot", FileMeta.of(snap)).withVersion(t.version() + 1));
    }

    /** {@code role} edited and re-signed, then snapshot and timestamp refreshed over it. */
    public <T extends Metadata> Swizzler change(String role, UnaryOperator<T> edit) throws TufException {
        resign(role, edit);
        if (!"timestamp".equals(role)) {
            if (!"snapshot".equals(role)) {
                refreshSnapshot(role);
            }
            refreshTimestamp();
        }
        return this;
    }

    /**
     * Assigns the timestamp role to {@code ts} in the current root (same version, re-signed by the root
     * keys) and re-signs the timestamp with it: the server's timestamp key is not available to tests.
     */
    public Swizzler takeOverTimestamp(Signer ts) throws TufException {
        resign("root", (Root r) -> r.withRoleKeys("timestamp", List.of(ts.key()), 1));
        repo.putRootVersion(((Root) parsed("root").signed()).version(), repo.get("root"));
        resign(
                "snapshot",
                (Snapshot s) ->
                        s.withMeta("root", FileMeta.of(repo.get("root"))).withVersion(s.version() + 1));
        byte[] snap = repo.get("snapshot");
        return resignWith(
                "timestamp",
                (Timestamp t) -> t.withMeta("snapshot", FileMeta.of(snap)).withVersion(t.version() + 1),
                List.of(ts));
    }

    /** The signers the repository's keys give for {@code role} as {@code meta} would be checked. */
    public List<Signer> signersFor(String role, Metadata meta) throws TufException {
        List<TufKey> roleKeys = new ArrayList<>();
        Root root = (Root) (meta instanceof Root r ? r : parsed("root").signed());
        if (List.of("root", "targets", "snapshot", "timestamp").contains(role)) {
            roleKeys.addAll(root.keysOf(role).values());
            if ("root".equals(role)) {
                Root current = (Root) parsed("root").signed();
                for (TufKey k : current.keysOf("root").values()) {
                    if (roleKeys.stream().noneMatch(x -> x.id().equals(k.id()))) {
                        roleKeys.add(k);
                    }
                }
            }
        } else {
            Targets parent = (Targets) parsed(DelegatedRole.parentOf(role)).signed();
            DelegatedRole entry = parent.delegationsOrEmpty().role(role).orElseThrow();
            for (String id : entry.keyIds()) {
                roleKeys.add(parent.delegationsOrEmpty().keys().get(id));
            }
        }
        List<Signer> out = new ArrayList<>();
        for (TufKey k : roleKeys) {
            keys.find(k).ifPresent(out::add);
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("no key to sign " + role + " (keys " + roleKeys + ")");
        }
        return out;
    }
}
