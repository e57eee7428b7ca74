package dev.custody.tuf.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.tuf.DelegationPathException;
import dev.custody.tuf.SignatureThresholdException;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Snapshot;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.testing.SoftwareSigner;
import dev.custody.tuf.testing.TestRepo;
import dev.custody.tuf.update.FileTrustedMetaStore;
import dev.custody.tuf.update.Updater;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RepoEditorTest {
    @TempDir
    Path tmp;

    private final Clock clock = Clock.fixed(Instant.parse("2026-11-23T12:00:00Z"), ZoneOffset.UTC);

    private Repository verified(TestRepo r) throws Exception {
        return Updater.builder()
                .gun(r.gun)
                .fetcher(r.repo)
                .store(new FileTrustedMetaStore(tmp.resolve("s" + System.nanoTime())))
                .clock(clock)
                .build()
                .update();
    }

    @Test
    void create_publishesRootTargetsSnapshotWithNotaryDefaults() throws Exception {
        TestRepo r = new TestRepo("example.com/e", clock);
        Repository repo = verified(r);
        assertThat(repo.root().version()).isEqualTo(1);
        assertThat(repo.root().signed().expires().toInstant())
                .isEqualTo(clock.instant().plus(Duration.ofDays(3650)));
        Targets t = repo.targetsRole("targets").orElseThrow().signed();
        assertThat(t.version()).isEqualTo(1);
        assertThat(t.expires().toInstant()).isEqualTo(clock.instant().plus(Duration.ofDays(1095)));
        assertThat(t.delegations()).isNotNull();
        assertThat(repo.snapshot().signed().expires().toInstant())
                .isEqualTo(clock.instant().plus(Duration.ofDays(1095)));
        assertThat(repo.snapshot().signed().meta()).containsOnlyKeys("root", "targets");
    }

    @Test
    void buildPublish_onlyChangedRolesAndSnapshot() throws Exception {
        TestRepo r = new TestRepo("example.com/e", clock);
        Repository repo = verified(r);
        PublishSet set = RepoEditor.load(repo, clock)
                .addTarget("targets", "v2", FileMeta.of(new byte[] {9}))
                .buildPublish(r.ring);
        assertThat(set.files().keySet()).containsExactly("targets", "snapshot");
        assertThat(set.after().targetsRole("targets").orElseThrow().version()).isEqualTo(2);
        Snapshot s =
                (Snapshot) Signed.parse(set.files().get("snapshot"), "snapshot").signed();
        assertThat(s.version()).isEqualTo(2);
        assertThat(s.metaFor("targets").orElseThrow())
                .isEqualTo(FileMeta.of(set.files().get("targets")));
        assertThat(s.metaFor("root")).isEqualTo(repo.snapshot().signed().metaFor("root"));
        // nothing changed, nothing to publish
        assertThat(RepoEditor.load(repo, clock).buildPublish(r.ring).isEmpty()).isTrue();
    }

    @Test
    void witness_bumpsVersionWithoutChange() throws Exception {
        TestRepo r = new TestRepo("example.com/e", clock);
        Repository repo = verified(r);
        PublishSet set = RepoEditor.load(repo, clock).witness("targets").buildPublish(r.ring);
        Targets before = repo.targetsRole("targets").orElseThrow().signed();
        Targets after =
                (Targets) Signed.parse(set.files().get("targets"), "targets").signed();
        assertThat(after.version()).isEqualTo(before.version() + 1);
        assertThat(after.targets()).isEqualTo(before.targets());
    }

    @Test
    void addTarget_outsideDelegatedPathsRefused() throws Exception {
        TestRepo r = new TestRepo("example.com/e", clock);
        SoftwareSigner d = SoftwareSigner.ecdsa();
        RepoEditor ed = RepoEditor.load(verified(r), clock)
                .addDelegation("targets/releases", List.of(d.key()), List.of("release/"), 1)
                .addDelegation("targets/releases/qa", List.of(d.key()), List.of("release/qa/", "other/"), 1);
        ed.addTarget("targets/releases/qa", "release/qa/1", FileMeta.of(new byte[] {1}));
        // other/ is not within the parent's release/, so it is not an effective path of the child
        assertThatThrownBy(() -> ed.addTarget("targets/releases/qa", "other/1", FileMeta.of(new byte[] {1})))
                .isInstanceOfSatisfying(DelegationPathException.class, e -> {
                    assertThat(e.target()).isEqualTo("other/1");
                    assertThat(e.allowedPaths()).containsExactly("release/qa/");
                });
        assertThatThrownBy(() -> ed.addTarget("targets", "tab\there", FileMeta.of(new byte[] {1})))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void buildPublish_missingKeyRefused() throws Exception {
        TestRepo r = new TestRepo("example.com/e", clock);
        RepoEditor ed = RepoEditor.load(verified(r), clock).addTarget("targets", "x", FileMeta.of(new byte[] {1}));
        assertThatThrownBy(() -> ed.buildPublish(KeyRing.of(List.of(r.snapshot))))
                .isInstanceOfSatisfying(SignatureThresholdException.class, e -> {
                    assertThat(e.role()).contains("targets");
                    assertThat(e.missingKeyIds()).containsExactly(r.targets.keyId());
                });
    }

    @Test
    void removeDelegation_dropsItsMetadataFromSnapshot() throws Exception {
        TestRepo r = new TestRepo("example.com/e", clock);
        SoftwareSigner d = SoftwareSigner.ecdsa();
        KeyRing ring = r.ring.and(KeyRing.of(List.of(d)));
        PublishSet add = RepoEditor.load(verified(r), clock)
                .addDelegation("targets/releases", List.of(d.key()), List.of(""), 1)
                .addTarget("targets/releases", "rel", FileMeta.of(new byte[] {1}))
                .buildPublish(ring);
        r.apply(add, 2);
        Repository withDelegation = verified(r);
        assertThat(withDelegation.listTargets("targets"))
                .extracting(Repository.Target::role)
                .containsExactly("targets/releases", "targets");
        PublishSet rm = RepoEditor.load(withDelegation, clock)
                .removeDelegation("targets/releases")
                .buildPublish(ring);
        assertThat(rm.files().keySet()).containsExactly("targets", "snapshot");
        assertThat(((Snapshot) Signed.parse(rm.files().get("snapshot"), "snapshot")
                                .signed())
                        .meta())
                .containsOnlyKeys("root", "targets");
        r.apply(rm, 3);
        assertThat(verified(r).targets()).containsOnlyKeys("targets");
    }

    @Test
    void create_thresholdOutOfRangeOrDuplicateKeys_refused() throws Exception {
        TestRepo repo = new TestRepo("example.com/e", clock);
        assertThatThrownBy(() -> RepoEditor.create(
                        repo.gun,
                        List.of(repo.rootKey),
                        2,
                        repo.targets.key(),
                        repo.snapshot.key(),
                        repo.timestamp.key(),
                        clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("root threshold must be 1 to 1");
        assertThatThrownBy(() -> RepoEditor.create(
                        repo.gun,
                        List.of(repo.rootKey, repo.rootKey),
                        1,
                        repo.targets.key(),
                        repo.snapshot.key(),
                        repo.timestamp.key(),
                        clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("distinct");
        assertThatThrownBy(() -> RepoEditor.create(
                        repo.gun, List.of(), 1, repo.targets.key(), repo.snapshot.key(), repo.timestamp.key(), clock))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rotateRootKeys_needsTheOldThresholdAndItsOwn() throws Exception {
        TestRepo r = new TestRepo("example.com/e", clock);
        Repository repo = verified(r);
        SoftwareSigner b = SoftwareSigner.ecdsa();
        SoftwareSigner c = SoftwareSigner.ecdsa();
        // 1 of 1 → 2 of 3 (old key kept): the old key alone meets the old threshold, not the new one
        RepoEditor ed = RepoEditor.load(repo, clock).rotateRootKeys(List.of(r.rootKey, b.key(), c.key()), 2);
        assertThatThrownBy(() -> ed.buildPublish(r.ring))
                .isInstanceOfSatisfying(
                        SignatureThresholdException.class,
                        e -> assertThat(e.needed()).isEqualTo(2));
        PublishSet set = ed.buildPublish(r.ring.and(KeyRing.of(List.of(b))));
        assertThat(Signed.parse(set.files().get("root"), "root").signatures()).hasSize(2);
        assertThat(set.after().root().signed().role("root").threshold()).isEqualTo(2);
        assertThat(set.after().root().signed().keysOf("root")).hasSize(3);
    }

    @Test
    void replaceRootKey_unknownKey_refused() throws Exception {
        TestRepo r = new TestRepo("example.com/e", clock);
        RepoEditor ed = RepoEditor.load(verified(r), clock);
        assertThatThrownBy(() -> ed.replaceRootKey(
                        "00".repeat(32), SoftwareSigner.ecdsa().key()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a root key");
    }

    @Test
    void buildPublish_presignedRoleNotChanged_refused() throws Exception {
        TestRepo r = new TestRepo("example.com/e", clock);
        Repository repo = verified(r);
        RepoEditor ed = RepoEditor.load(repo, clock).addTarget("targets", "x", FileMeta.of(new byte[] {1}));
        assertThat(ed.buildUnsigned().keySet()).containsExactly("targets");
        assertThatThrownBy(() -> ed.buildPublish(r.ring, java.util.Map.of("root", repo.root())))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
