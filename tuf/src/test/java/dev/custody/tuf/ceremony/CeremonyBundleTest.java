package dev.custody.tuf.ceremony;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.canonical.CanonicalJson;
import dev.custody.tuf.ceremony.BundleTamperedException.Kind;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.Digests;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.repo.PublishSet;
import dev.custody.tuf.repo.RepoEditor;
import dev.custody.tuf.testing.SoftwareSigner;
import dev.custody.tuf.testing.TestRepo;
import dev.custody.tuf.update.FileTrustedMetaStore;
import dev.custody.tuf.update.Updater;
import dev.custody.tuf.verify.TrustPinning;
import dev.custody.tuf.verify.TrustedMetadata;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bundles that must be refused, each with its own exception, on a small software-key repository (no
 * server): the same checks run on the offline side whatever the keys live on. A tampered bundle is made
 * from a good one by editing its JSON, sometimes recomputing the hash it carries (as an attacker who knows
 * the format would).
 */
class CeremonyBundleTest {
    private static final String GUN = "example.com/bundle";

    @TempDir
    Path tmp;

    private final Clock clock = Clock.systemUTC();
    private TestRepo r;
    private Repository repo;
    private SoftwareSigner newRoot;
    private TufKey newRootCert;

    @BeforeEach
    void setUp() throws Exception {
        r = new TestRepo(GUN, clock);
        repo = update(r);
        newRoot = SoftwareSigner.ecdsa();
        newRootCert = PublicKeys.toTufKey(RootCertificates.create(newRoot, GUN, clock));
    }

    private Bundle rotateRoot() throws Exception {
        return Ceremony.prepareRotateRoot(repo, List.of(newRootCert), 1, List.of(), clock);
    }

    private TrustedMetadata offline(Repository trustedRepo) throws Exception {
        return TrustedMetadata.fromTrustedRoot(GUN, trustedRepo.root().toBytes(), TrustPinning.TOFU, clock);
    }

    @Test
    void verifyForSigning_goodBundle_roundTripsByteForByteAndSigns() throws Exception {
        Bundle b = rotateRoot();
        byte[] file = b.toBytes();
        Bundle back = Bundle.parse(file);
        assertThat(back.toBytes()).isEqualTo(file);
        assertThat(CanonicalJson.canonicalize(file)).isEqualTo(file);
        Review review = Ceremony.verifyForSigning(back, offline(repo), clock);
        assertThat(review.summary()).isEqualTo(b.summary());
        assertThat(review.signingKeys().get("root"))
                .extracting(TufKey::id)
                .containsExactlyInAnyOrder(r.rootKey.id(), newRootCert.id());
        Bundle signed =
                Ceremony.addSignatures(review, KeyRing.of(List.of(r.root)).and(KeyRing.of(List.of(newRoot))));
        assertThat(signed.signedBy("root")).containsExactlyInAnyOrder(r.rootKey.id(), newRootCert.id());
        PublishSet set = Ceremony.verifyForPublish(Bundle.parse(signed.toBytes()), repo, r.ring, clock);
        assertThat(set.files().keySet()).containsExactly("root", "snapshot");
    }

    @Test
    void parse_flippedByteInNewMetadata_newHash() throws Exception {
        byte[] file = mutate(rotateRoot().toBytes(), o -> {
            ObjectNode signed = (ObjectNode) o.at("/new/root/signed");
            signed.put("expires", signed.get("expires").textValue().replaceFirst("^2", "3"));
        });
        assertThatThrownBy(() -> Bundle.parse(file)).isInstanceOfSatisfying(BundleTamperedException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.NEW_HASH);
            assertThat(e.roleName()).isEqualTo("root");
        });
    }

    @Test
    void verifyForSigning_newMetadataChangedWithItsHash_summaryMismatch() throws Exception {
        byte[] file = mutate(rotateRoot().toBytes(), o -> {
            ObjectNode signed = (ObjectNode) o.at("/new/root/signed");
            signed.put("expires", signed.get("expires").textValue().replaceFirst("^2", "3"));
            rehash(o, "root");
        });
        assertThatThrownBy(() -> Ceremony.verifyForSigning(Bundle.parse(file), offline(repo), clock))
                .isInstanceOfSatisfying(
                        BundleTamperedException.class, e -> assertThat(e.kind()).isEqualTo(Kind.SUMMARY));
    }

    @Test
    void verifyForSigning_newRootChangesMoreThanTheOperation_plan() throws Exception {
        byte[] file = mutate(rotateRoot().toBytes(), o -> {
            ((ObjectNode) o.at("/new/root/signed/roles/snapshot")).put("threshold", 2);
            rehash(o, "root");
        });
        assertThatThrownBy(() -> Ceremony.verifyForSigning(Bundle.parse(file), offline(repo), clock))
                .isInstanceOfSatisfying(BundleTamperedException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.PLAN);
                    assertThat(e.getMessage()).contains("may not change the snapshot keys");
                });
    }

    @Test
    void verifyForSigning_summaryChanged_summaryMismatch() throws Exception {
        byte[] file = mutate(rotateRoot().toBytes(), o -> ((ArrayNode) o.get("summary")).set(0, "all is well"));
        assertThatThrownBy(() -> Ceremony.verifyForSigning(Bundle.parse(file), offline(repo), clock))
                .isInstanceOfSatisfying(BundleTamperedException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.SUMMARY);
                    assertThat(e.getMessage()).contains(GUN + ": rotate-root");
                });
    }

    @Test
    void parse_baseFileChanged_baseHash() throws Exception {
        byte[] file = mutate(rotateRoot().toBytes(), o -> {
            ObjectNode base = (ObjectNode) o.at("/base/root");
            byte[] f = Base64.getDecoder().decode(base.get("file").textValue());
            f[f.length - 5] ^= 1;
            base.put("file", Base64.getEncoder().encodeToString(f));
        });
        assertThatThrownBy(() -> Bundle.parse(file))
                .isInstanceOfSatisfying(
                        BundleTamperedException.class, e -> assertThat(e.kind()).isEqualTo(Kind.BASE_HASH));
    }

    @Test
    void verifyForSigning_otherGun_wrongGun() throws Exception {
        byte[] file = mutate(rotateRoot().toBytes(), o -> o.put("gun", "example.com/other"));
        assertThatThrownBy(() -> Ceremony.verifyForSigning(Bundle.parse(file), offline(repo), clock))
                .isInstanceOfSatisfying(WrongGunException.class, e -> {
                    assertThat(e.expectedGun()).isEqualTo(GUN);
                    assertThat(e.bundleGun()).isEqualTo("example.com/other");
                });
    }

    @Test
    void verifyForSigning_baseOlderThanTrusted_stale() throws Exception {
        Bundle old = Ceremony.prepareResignRoot(repo, Duration.ofDays(365), List.of(), clock);
        publish(RepoEditor.load(repo, clock).witness("root").buildPublish(r.ring), 2);
        Repository v2 = update(r);
        assertThatThrownBy(() -> Ceremony.verifyForSigning(old, offline(v2), clock))
                .isInstanceOfSatisfying(StaleBundleException.class, e -> {
                    assertThat(e.trustedVersion()).isEqualTo(2);
                    assertThat(e.baseVersion()).isEqualTo(1);
                    assertThat(e.role()).contains("root");
                });
    }

    @Test
    void verifyForSigning_sameVersionOtherRepository_baseMismatch() throws Exception {
        Repository other = update(new TestRepo(GUN, clock));
        Bundle b = Ceremony.prepareResignRoot(other, Duration.ofDays(365), List.of(), clock);
        assertThatThrownBy(() -> Ceremony.verifyForSigning(b, offline(repo), clock))
                .isInstanceOfSatisfying(BaseMismatchException.class, e -> {
                    assertThat(e.trustedVersion()).isEqualTo(1);
                    assertThat(e.baseVersion()).isEqualTo(1);
                });
    }

    @Test
    void verifyForSigning_newerBase_needsTheRootChain() throws Exception {
        byte[] v2Root = publish(RepoEditor.load(repo, clock).witness("root").buildPublish(r.ring), 2)
                .files()
                .get("root");
        publish(RepoEditor.load(update(r), clock).witness("root").buildPublish(r.ring), 3);
        Repository v3 = update(r);
        Bundle noChain = Ceremony.prepareResignRoot(v3, Duration.ofDays(365), List.of(), clock);
        assertThatThrownBy(() -> Ceremony.verifyForSigning(noChain, offline(repo), clock))
                .isInstanceOfSatisfying(BaseMismatchException.class, e -> {
                    assertThat(e.trustedVersion()).isEqualTo(1);
                    assertThat(e.baseVersion()).isEqualTo(3);
                    assertThat(e.getMessage()).contains("lacks version 2");
                });
        Bundle withChain = Ceremony.prepareResignRoot(v3, Duration.ofDays(365), List.of(v2Root), clock);
        Review review = Ceremony.verifyForSigning(Bundle.parse(withChain.toBytes()), offline(repo), clock);
        assertThat(review.baseRoot().version()).isEqualTo(3);
    }

    @Test
    void verifyForSigning_signatureBroken_signature() throws Exception {
        Review review = Ceremony.verifyForSigning(rotateRoot(), offline(repo), clock);
        byte[] file = mutate(Ceremony.addSignatures(review, List.of(r.root)).toBytes(), o -> {
            ObjectNode sig = (ObjectNode) o.at("/signatures/root/0");
            byte[] s = Base64.getDecoder().decode(sig.get("sig").textValue());
            s[3] ^= 1;
            sig.put("sig", Base64.getEncoder().encodeToString(s));
        });
        assertThatThrownBy(() -> Ceremony.verifyForSigning(Bundle.parse(file), offline(repo), clock))
                .isInstanceOfSatisfying(
                        BundleTamperedException.class, e -> assertThat(e.kind()).isEqualTo(Kind.SIGNATURE));
    }

    @Test
    void parse_unknownFormatVersion_malformed() throws Exception {
        byte[] file = mutate(rotateRoot().toBytes(), o -> o.put("format_version", 2));
        assertThatThrownBy(() -> Bundle.parse(file))
                .isInstanceOfSatisfying(
                        MalformedBundleException.class,
                        e -> assertThat(e.field()).isEqualTo("format_version"));
    }

    @Test
    void prepare_editBeyondTheOperation_refused() {
        SoftwareSigner t2 = SoftwareSigner.ecdsa();
        assertThatThrownBy(() -> Ceremony.prepare(
                        repo,
                        Operation.ROTATE_TARGETS,
                        e -> e.rotateKey("targets", t2.key())
                                .addTarget("targets", "sneaky", FileMeta.of(new byte[] {9})),
                        List.of(),
                        clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("targets content changed");
    }

    @Test
    void verifyForPublish_otherGun_wrongGun() throws Exception {
        Repository other = update(new TestRepo("example.com/elsewhere", clock));
        assertThatThrownBy(() -> Ceremony.verifyForPublish(rotateRoot(), other, r.ring, clock))
                .isInstanceOf(WrongGunException.class);
    }

    private PublishSet publish(PublishSet set, int timestampVersion) throws Exception {
        r.apply(set, timestampVersion);
        if (set.files().containsKey("root")) {
            r.repo.putRootVersion(set.after().root().version(), set.files().get("root"));
        }
        return set;
    }

    private Repository update(TestRepo t) throws Exception {
        return Updater.builder()
                .gun(t.gun)
                .fetcher(t.repo)
                .store(new FileTrustedMetaStore(tmp.resolve("s" + System.nanoTime())))
                .clock(clock)
                .build()
                .update();
    }

    private static byte[] mutate(byte[] bundle, Consumer<ObjectNode> change) throws Exception {
        ObjectNode o = (ObjectNode) CanonicalJson.parse(bundle);
        change.accept(o);
        return CanonicalJson.encode(o);
    }

    private static void rehash(ObjectNode o, String role) {
        ObjectNode n = (ObjectNode) o.at("/new/" + role);
        n.put("sha256", Digests.sha256Hex(CanonicalJson.encode(n.get("signed"))));
    }
}
