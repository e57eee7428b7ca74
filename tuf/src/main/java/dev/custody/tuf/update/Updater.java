package dev.custody.tuf.update;

import dev.custody.tuf.MissingMetadataException;
import dev.custody.tuf.TufException;
import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.verify.TrustPinning;
import dev.custody.tuf.verify.TrustedMetadata;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The client update workflow for one repository: from the trusted root, walk the root chain, then
 * timestamp → snapshot → targets → delegations, verify each ({@link TrustedMetadata}), and only when all
 * of it verified, commit the new files to the {@link TrustedMetaStore}. Any failure throws its specific
 * {@link TufException} and leaves the trusted copy as it was.
 *
 * <p>Deviations from the TUF specification, following Notary 0.7:
 * <ul>
 *   <li>Bootstrap (no trusted root yet) trusts the server's current {@code root.json} by the
 *       {@link TrustPinning} (TOFU or pins), not {@code 1.root.json}; the chain is walked from there.</li>
 *   <li>Snapshot and targets roles are fetched by checksum ({@code role.<sha256>.json}) when the referring
 *       role gives a SHA-256, and reused from the trusted copy when its bytes already match.</li>
 *   <li>Delegated roles without an entry in the snapshot are skipped (Notary: "no checksum").</li>
 * </ul>
 */
public final class Updater {
    /** Notary's limits: 1 MiB for timestamp, 100 MiB for anything else. */
    public static final long DEFAULT_MAX_TIMESTAMP_BYTES = 1L << 20;

    public static final long DEFAULT_MAX_METADATA_BYTES = 100L << 20;
    /** Root versions walked in one update at most. */
    public static final int MAX_ROOT_ROTATIONS = 1024;

    private final String gun;
    private final MetaFetcher fetcher;
    private final TrustedMetaStore store;
    private final Clock clock;
    private final TrustPinning pinning;
    private final long maxTimestampBytes;
    private final long maxMetadataBytes;
    private final boolean allowExpiredRoot;

    private Updater(Builder b) {
        this.gun = Objects.requireNonNull(b.gun, "gun");
        this.fetcher = Objects.requireNonNull(b.fetcher, "fetcher");
        this.store = Objects.requireNonNull(b.store, "store");
        this.clock = b.clock;
        this.pinning = b.pinning;
        this.maxTimestampBytes = b.maxTimestampBytes;
        this.maxMetadataBytes = b.maxMetadataBytes;
        this.allowExpiredRoot = b.allowExpiredRoot;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs the whole workflow and returns the verified repository; the trusted copy is updated only if
     * everything verified.
     *
     * @throws MissingMetadataException if the server has no trust data for the GUN (no root / timestamp)
     */
    public Repository update() throws TufException, IOException {
        TrustedMetadata trusted = trustedRoot();
        // version floors from the trusted copy first, so a root rotating the timestamp or snapshot keys
        // can drop them (TUF 5.3.11)
        loadFloors(trusted);
        // TUF 5.3: walk N+1.root.json until the server has no next version
        for (int i = 0; i < MAX_ROOT_ROTATIONS; i++) {
            int next = trusted.root().version() + 1;
            Optional<byte[]> raw = fetcher.fetchRoot(next, maxMetadataBytes);
            if (raw.isEmpty()) {
                break;
            }
            trusted.updateRoot(raw.get());
        }
        if (!allowExpiredRoot) {
            trusted.checkRootFresh();
        }

        // TUF 5.4
        byte[] ts = fetcher.fetch("timestamp", maxTimestampBytes)
                .orElseThrow(() -> new MissingMetadataException("timestamp", "the server has no timestamp for " + gun));
        trusted.updateTimestamp(ts);
        // TUF 5.5
        trusted.updateSnapshot(fetchReferenced("snapshot", trusted));
        // TUF 5.6
        Signed<Targets> top = trusted.updateTargets(fetchReferenced("targets", trusted));
        // TUF 5.6.7: delegations, pre-order, parents before children
        Deque<String> todo = new ArrayDeque<>();
        pushChildren(top, todo);
        Set<String> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            String role = todo.pop();
            if (!seen.add(role) || trusted.expectedMeta(role).isEmpty()) {
                continue;
            }
            pushChildren(trusted.updateDelegatedTargets(fetchReferenced(role, trusted), role), todo);
        }

        Map<String, byte[]> files = trusted.acceptedFiles();
        Set<String> removed = new HashSet<>(store.roles(gun));
        removed.removeAll(files.keySet());
        removed.remove("root");
        store.commit(gun, files, removed);
        return trusted.repository();
    }

    private static void pushChildren(Signed<Targets> t, Deque<String> todo) {
        List<DelegatedRole> roles = t.signed().delegationsOrEmpty().roles();
        for (int i = roles.size() - 1; i >= 0; i--) {
            todo.push(roles.get(i).name());
        }
    }

    private TrustedMetadata trustedRoot() throws TufException, IOException {
        Optional<byte[]> local = store.find(gun, "root");
        if (local.isPresent()) {
            return TrustedMetadata.fromTrustedRoot(gun, local.get(), pinning, clock);
        }
        byte[] first = fetcher.fetch("root", maxMetadataBytes)
                .orElseThrow(() -> new MissingMetadataException("root", "the server has no trust data for " + gun));
        return TrustedMetadata.bootstrap(gun, first, pinning, clock);
    }

    /** Version floors from the trusted copy; a copy that does not parse gives no floor. */
    private void loadFloors(TrustedMetadata trusted) throws IOException {
        for (String role : store.roles(gun)) {
            if ("root".equals(role)) {
                continue;
            }
            Optional<byte[]> raw = store.find(gun, role);
            if (raw.isPresent()) {
                try {
                    trusted.setFloor(role, Signed.parse(raw.get(), role).version());
                } catch (TufException e) {
                    // an unreadable local copy sets no floor; it will be replaced
                }
            }
        }
    }

    private byte[] fetchReferenced(String role, TrustedMetadata trusted) throws TufException, IOException {
        FileMeta meta = trusted.expectedMeta(role)
                .orElseThrow(() -> new MissingMetadataException(
                        role, "not listed by " + ("snapshot".equals(role) ? "timestamp" : "snapshot")));
        long max = Math.min(maxMetadataBytes, Math.max(meta.length(), 0));
        Optional<byte[]> sha = meta.hash("sha256");
        if (sha.isPresent()) {
            Optional<byte[]> local = store.find(gun, role);
            if (local.isPresent() && MessageDigest.isEqual(sha256(local.get()), sha.get())) {
                return local.get();
            }
            Optional<byte[]> got = fetcher.fetchByChecksum(role, HexFormat.of().formatHex(sha.get()), max);
            if (got.isPresent()) {
                return got.get();
            }
        }
        return fetcher.fetch(role, max)
                .orElseThrow(() -> new MissingMetadataException(role, "the server does not have it"));
    }

    private static byte[] sha256(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static final class Builder {
        private String gun;
        private MetaFetcher fetcher;
        private TrustedMetaStore store;
        private Clock clock = Clock.systemUTC();
        private TrustPinning pinning = TrustPinning.TOFU;
        private long maxTimestampBytes = DEFAULT_MAX_TIMESTAMP_BYTES;
        private long maxMetadataBytes = DEFAULT_MAX_METADATA_BYTES;
        private boolean allowExpiredRoot;

        private Builder() {}

        public Builder gun(String gun) {
            this.gun = gun;
            return this;
        }

        public Builder fetcher(MetaFetcher fetcher) {
            this.fetcher = fetcher;
            return this;
        }

        public Builder store(TrustedMetaStore store) {
            this.store = store;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock);
            return this;
        }

        public Builder trustPinning(TrustPinning pinning) {
            this.pinning = Objects.requireNonNull(pinning);
            return this;
        }

        public Builder maxTimestampBytes(long max) {
            this.maxTimestampBytes = max;
            return this;
        }

        public Builder maxMetadataBytes(long max) {
            this.maxMetadataBytes = max;
            return this;
        }

        /**
         * Deviation from TUF 5.3.10, for one purpose only: preparing the re-signing of a root that has
         * already expired (a {@code resign-root} ceremony). Everything else is checked as usual, including
         * that the root chain is signed; only the final root's expiry is not. Never use it to read targets.
         */
        public Builder allowExpiredRoot() {
            this.allowExpiredRoot = true;
            return this;
        }

        public Updater build() {
            return new Updater(this);
        }
    }
}
