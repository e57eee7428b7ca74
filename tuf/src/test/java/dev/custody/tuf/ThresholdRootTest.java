package dev.custody.tuf;

import static dev.custody.tuf.testing.NotaryFixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryList;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Metadata;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signature;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.repo.PublishSet;
import dev.custody.tuf.repo.RepoEditor;
import dev.custody.tuf.repo.RepoInit;
import dev.custody.tuf.repo.ServerKeys;
import dev.custody.tuf.server.MetadataRejectedException;
import dev.custody.tuf.server.NotaryClient;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.sign.Signing;
import dev.custody.tuf.testing.HolderTokens;
import dev.custody.tuf.testing.NotaryFixtures;
import dev.custody.tuf.testing.SoftwareSigner;
import dev.custody.tuf.testing.TokenSigner;
import dev.custody.tuf.update.FileTrustedMetaStore;
import dev.custody.tuf.verify.TrustPinning;
import dev.custody.tuf.verify.TrustedMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2-of-3 root on three SoftHSM2 tokens (one root key per token), checked by the real notary 0.7 client
 * and notary-server: init and publish, a client that cached the first root follows a rotation that
 * replaces a lost token's key (signed by the two remaining tokens and the new one), and roots short of a
 * threshold are refused by our verifier and by Notary.
 */
class ThresholdRootTest {
    private static HolderTokens tokens;

    @TempDir
    Path tmp;

    private final Clock clock = Clock.systemUTC();

    @BeforeAll
    static void openTokens() throws Exception {
        tokens = HolderTokens.open("root", List.of("alice", "bob", "carol", "dave", "erin"));
    }

    @AfterAll
    static void closeTokens() {
        if (tokens != null) {
            tokens.close();
        }
    }

    /** A root key on the token of holder {@code i} (0 alice … 4 erin), presented as its root certificate. */
    private Signer rootKey(int i, String gun) throws Exception {
        Signer bare = TokenSigner.generate(
                tokens.get(i), "root-" + UUID.randomUUID().toString().substring(0, 8));
        return bare.as(PublicKeys.toTufKey(RootCertificates.create(bare, gun, clock)));
    }

    /** A repository init with {@code roots} at threshold 2; the other roles' keys are made in software, into {@code software}. */
    private RepoInit twoOf(String gun, List<Signer> roots, List<Signer> software, ServerKeys serverKeys)
            throws Exception {
        return RepoInit.create(gun, roots, 2, SoftwareSigner.ecdsaInto(software), serverKeys, false, clock);
    }

    @Test
    void thresholdRoot_initRotateLostTokenAndRefuseShortRoots() throws Exception {
        NotaryFixtures fx = NotaryFixtures.get();
        NotaryClient client = fx.client();
        ServerKeys serverKeys = ServerKeys.of(client);
        String gun = "example.com/threshold/" + UUID.randomUUID().toString().substring(0, 8);
        List<Signer> bare = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            bare.add(TokenSigner.generate(
                    tokens.get(i), "root-" + UUID.randomUUID().toString().substring(0, 8)));
        }
        List<Signer> software = new ArrayList<>();
        RepoInit init = twoOf(gun, bare, software, serverKeys);
        Signer alice = init.signers().get(0);
        Signer bob = init.signers().get(1);
        Signer carol = init.signers().get(2);
        assertThat(init.editor().root().role("root").threshold()).isEqualTo(2);
        assertThat(init.editor().root().role("root").keyIds())
                .containsExactlyInAnyOrder(alice.keyId(), bob.keyId(), carol.keyId());

        // one root token is not enough: the editor refuses before anything is sent
        KeyRing onlyAlice = KeyRing.of(List.of(alice)).and(KeyRing.of(software));
        assertThatThrownBy(() -> init.editor().buildPublish(onlyAlice))
                .isInstanceOfSatisfying(SignatureThresholdException.class, e -> {
                    assertThat(e.needed()).isEqualTo(2);
                    assertThat(e.found()).isEqualTo(1);
                });

        // alice and bob sign (carol's token stays in the safe)
        init.editor().addTarget("targets", "v1", FileMeta.of(bytes("one")));
        PublishSet first =
                init.editor().buildPublish(KeyRing.of(List.of(alice, bob)).and(KeyRing.of(software)));
        Signed<?> root1 = Signed.parse(first.files().get("root"), "root");
        assertThat(root1.signatures())
                .extracting(Signature::keyId)
                .containsExactlyInAnyOrder(alice.keyId(), bob.keyId());
        client.publish(gun, first.files());

        NotaryCli cached = fx.freshCli("threshold-cached");
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
        FileTrustedMetaStore store = new FileTrustedMetaStore(tmp.resolve("ours"));
        assertThat(update(client, store, gun).root().signed().role("root").threshold())
                .isEqualTo(2);

        // carol's token is lost: alice and bob sign a root v2 that lists dave's new key instead
        Signer dave = rootKey(3, gun);
        PublishSet rotated = RepoEditor.load(update(client, store, gun), clock)
                .replaceRootKey(carol.keyId(), dave.key())
                .buildPublish(KeyRing.of(List.of(alice, bob, dave)).and(KeyRing.of(software)));
        Signed<?> root2 = Signed.parse(rotated.files().get("root"), "root");
        Root r2 = (Root) root2.signed();
        assertThat(r2.version()).isEqualTo(2);
        assertThat(r2.role("root").threshold()).isEqualTo(2);
        assertThat(r2.role("root").keyIds()).containsExactlyInAnyOrder(alice.keyId(), bob.keyId(), dave.keyId());
        assertThat(root2.signatures())
                .extracting(Signature::keyId)
                .containsExactlyInAnyOrder(alice.keyId(), bob.keyId(), dave.keyId());
        client.publish(gun, rotated.files());
        // the client that cached v1 (alice, bob, carol; 2 of 3) accepts v2
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
        assertThat(((Root) Signed.parse(Files.readAllBytes(cached.metadataFile(gun, "root")), "root")
                                .signed())
                        .version())
                .isEqualTo(2);
        assertThat(NotaryList.parse(fx.freshCli("threshold-fresh").ok("list", gun)))
                .containsOnlyKeys("v1");
        Repository now = update(client, store, gun);
        assertThat(now.root().version()).isEqualTo(2);

        // a v3 signed by one of v2's root keys (alice) and a new key (erin) replacing bob: short of v2's threshold
        Signer erin = rootKey(4, gun);
        RepoEditor shortEdit = RepoEditor.load(now, clock).replaceRootKey(bob.keyId(), erin.key());
        Map<String, Signed<? extends Metadata>> unsigned = shortEdit.buildUnsigned();
        @SuppressWarnings("unchecked")
        Signed<Root> shortRoot = Signing.addSignatures((Signed<Root>) unsigned.get("root"), List.of(alice, erin));
        // our verifier: the chain from v2 does not reach it
        TrustedMetadata trusted =
                TrustedMetadata.fromTrustedRoot(gun, now.root().toBytes(), TrustPinning.TOFU, clock);
        assertThatThrownBy(() -> trusted.updateRoot(shortRoot.toBytes()))
                .isInstanceOfSatisfying(RootRotationException.class, e -> {
                    assertThat(e.byTrustedKeys()).isTrue();
                    assertThat(e.needed()).isEqualTo(2);
                    assertThat(e.found()).isEqualTo(1);
                });
        // notary-server refuses it too
        PublishSet shortSet = shortEdit.buildPublish(KeyRing.of(software), Map.of("root", shortRoot));
        assertThatThrownBy(() -> client.publish(gun, shortSet.files()))
                .isInstanceOfSatisfying(MetadataRejectedException.class, e -> {
                    assertThat(e.validationError()).contains("ErrBadRoot");
                    assertThat(e.validationMessage().orElseThrow())
                            .contains("could not rotate trust to a new trusted root");
                });
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");

        // a v3 with all new root keys (erin, frank; 2 of 2) signed by alice and bob (v2's threshold met) but
        // only by erin of its own keys: short of its own threshold
        Signer frank = rootKey(3, gun);
        RepoEditor ownShortEdit = RepoEditor.load(now, clock).rotateRootKeys(List.of(erin.key(), frank.key()), 2);
        @SuppressWarnings("unchecked")
        Signed<Root> ownShort = Signing.addSignatures(
                (Signed<Root>) ownShortEdit.buildUnsigned().get("root"), List.of(alice, bob, erin));
        assertThatThrownBy(() -> trusted.updateRoot(ownShort.toBytes()))
                .isInstanceOfSatisfying(RootRotationException.class, e -> {
                    assertThat(e.byTrustedKeys()).isFalse();
                    assertThat(e.needed()).isEqualTo(2);
                    assertThat(e.found()).isEqualTo(1);
                });
        PublishSet ownShortSet = ownShortEdit.buildPublish(KeyRing.of(software), Map.of("root", ownShort));
        assertThatThrownBy(() -> client.publish(gun, ownShortSet.files()))
                .isInstanceOfSatisfying(MetadataRejectedException.class, e -> {
                    assertThat(e.validationError()).contains("ErrBadRoot");
                    assertThat(e.validationMessage().orElseThrow()).contains("failed to validate integrity of roots");
                });
        // the editor itself refuses to build either short root
        assertThatThrownBy(() -> RepoEditor.load(now, clock)
                        .rotateRootKeys(List.of(erin.key(), frank.key()), 2)
                        .buildPublish(KeyRing.of(List.of(alice, bob, erin)).and(KeyRing.of(software))))
                .isInstanceOf(SignatureThresholdException.class);
        assertThatThrownBy(() -> RepoEditor.load(now, clock)
                        .replaceRootKey(bob.keyId(), erin.key())
                        .buildPublish(KeyRing.of(List.of(alice, erin)).and(KeyRing.of(software))))
                .isInstanceOf(SignatureThresholdException.class);

        // a new repository whose first root carries one signature of its 2-of-3 root keys
        String gun2 = gun + "-one";
        List<Signer> bare2 = List.of(
                TokenSigner.generate(tokens.get(0), "r2a"),
                TokenSigner.generate(tokens.get(1), "r2b"),
                TokenSigner.generate(tokens.get(2), "r2c"));
        RepoInit init2 = twoOf(gun2, bare2, software, serverKeys);
        @SuppressWarnings("unchecked")
        Signed<Root> oneOfThree = Signing.addSignatures(
                (Signed<Root>) init2.editor().buildUnsigned().get("root"),
                List.of(init2.signers().get(0)));
        assertThatThrownBy(() -> TrustedMetadata.bootstrap(gun2, oneOfThree.toBytes(), TrustPinning.TOFU, clock))
                .isInstanceOfSatisfying(SignatureThresholdException.class, e -> {
                    assertThat(e.needed()).isEqualTo(2);
                    assertThat(e.found()).isEqualTo(1);
                    assertThat(e.missingKeyIds()).hasSize(2);
                });
        PublishSet oneSet = init2.editor().buildPublish(KeyRing.of(software), Map.of("root", oneOfThree));
        assertThatThrownBy(() -> client.publish(gun2, oneSet.files()))
                .isInstanceOfSatisfying(MetadataRejectedException.class, e -> {
                    assertThat(e.validationError()).contains("ErrBadRoot");
                    assertThat(e.validationMessage().orElseThrow()).contains("failed to validate integrity of roots");
                });
        NotaryCli.Result r = fx.freshCli("threshold-one").run("list", gun2);
        assertThat(r.stdout()).contains("does not have trust data for " + gun2);
        assertThat(r.ok()).isFalse();
    }

    private Repository update(NotaryClient client, FileTrustedMetaStore store, String gun) throws Exception {
        return NotaryFixtures.update(client, store, gun, clock);
    }
}
