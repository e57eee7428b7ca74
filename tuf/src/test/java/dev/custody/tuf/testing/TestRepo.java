package dev.custody.tuf.testing;

import dev.custody.tuf.TufException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Timestamp;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.repo.PublishSet;
import dev.custody.tuf.repo.RepoEditor;
import dev.custody.tuf.sign.Signing;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/** A small repository made entirely with software keys, served from memory: for pure verification tests. */
public final class TestRepo {
    public final String gun;
    public final SoftwareSigner root = SoftwareSigner.ecdsa();
    public final SoftwareSigner targets = SoftwareSigner.ecdsa();
    public final SoftwareSigner snapshot = SoftwareSigner.ecdsa();
    public final SoftwareSigner timestamp = SoftwareSigner.ed25519();
    public final X509Certificate rootCert;
    public final TufKey rootKey;
    public final InMemoryRepo repo = new InMemoryRepo();
    public final KeyRing ring;
    private final Clock clock;

    public TestRepo(String gun, Clock clock) throws TufException {
        this.gun = gun;
        this.clock = clock;
        this.rootCert = RootCertificates.create(root, gun, clock);
        this.rootKey = PublicKeys.toTufKey(rootCert);
        this.ring = KeyRing.of(List.of(root, targets, snapshot, timestamp));
        PublishSet set = RepoEditor.create(gun, rootKey, targets.key(), snapshot.key(), timestamp.key(), clock)
                .addTarget("targets", "v1", FileMeta.of(new byte[] {1, 2, 3}))
                .buildPublish(ring);
        apply(set, 1);
    }

    /** Puts a publish into the served repository and signs a timestamp over its snapshot. */
    public void apply(PublishSet set, int timestampVersion) throws TufException {
        set.files().forEach(repo::put);
        Timestamp ts = new Timestamp(
                timestampVersion,
                OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC).plus(Duration.ofDays(14)),
                Map.of("snapshot", FileMeta.of(repo.get("snapshot"))),
                Map.of());
        repo.put("timestamp", Signing.sign("timestamp", ts, List.of(timestamp)).toBytes());
    }
}
