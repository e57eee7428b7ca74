package dev.custody.tuf.ceremony;

import static dev.custody.tuf.testing.NotaryFixtures.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryList;
import dev.custody.tuf.ExpiredMetadataException;
import dev.custody.tuf.RootRotationException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.repo.PublishSet;
import dev.custody.tuf.repo.RepoInit;
import dev.custody.tuf.repo.ServerKeys;
import dev.custody.tuf.server.NotaryClient;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.testing.HolderTokens;
import dev.custody.tuf.testing.NotaryFixtures;
import dev.custody.tuf.testing.SoftwareSigner;
import dev.custody.tuf.testing.TokenSigner;
import dev.custody.tuf.update.FileTrustedMetaStore;
import dev.custody.tuf.update.NotaryMetaFetcher;
import dev.custody.tuf.update.Updater;
import dev.custody.tuf.verify.TrustPinning;
import dev.custody.tuf.verify.TrustedMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Full air-gapped ceremonies (rotate-root replacing a lost token, rotate-targets, resign-root,
 * rotate-snapshot to the server) between two separate trusted-state directories: the online side (server,
 * targets and snapshot keys, its own trusted store) and the offline side (root keys on its SoftHSM2
 * tokens, its own trusted store, no server). Bundles go between them only as files. Each publish is
 * listed by the real notary 0.7 client, including one that cached the first root.
 */
class OfflineCeremonyTest {
    private static HolderTokens tokens;

    @TempDir
    Path tmp;

    private final Clock clock = Clock.systemUTC();

    @BeforeAll
    static void openTokens() throws Exception {
        tokens = HolderTokens.open("cer", List.of("alice", "bob", "carol", "dave"));
    }

    @AfterAll
    static void closeTokens() {
        if (tokens != null) {
            tokens.close();
        }
    }

    private static Signer tokenKey(int holder) throws Exception {
        return TokenSigner.generate(
                tokens.get(holder), "cer-" + UUID.randomUUID().toString().substring(0, 8));
    }

    @Test
    void ceremony_rotateRootRotateTargetsResignRoot_publishedAndListedByNotary() throws Exception {
        NotaryFixtures fx = NotaryFixtures.get();
        NotaryClient client = fx.client();
        String gun = "example.com/ceremony/" + UUID.randomUUID().toString().substring(0, 8);

        // init (the root holders, once, with their tokens): 2 of 3 root keys on alice's, bob's and carol's tokens
        List<Signer> online = new ArrayList<>();
        RepoInit init = RepoInit.create(
                gun,
                List.of(tokenKey(0), tokenKey(1), tokenKey(2)),
                2,
                SoftwareSigner.ecdsaInto(online),
                ServerKeys.of(client),
                false,
                clock);
        Signer alice = init.signers().get(0);
        Signer bob = init.signers().get(1);
        Signer carol = init.signers().get(2);
        init.editor().addTarget("targets", "v1", FileMeta.of(bytes("one")));
        PublishSet first =
                init.editor().buildPublish(KeyRing.of(List.of(alice, bob)).and(KeyRing.of(online)));
        client.publish(gun, first.files());
        NotaryCli cached = fx.freshCli("ceremony-cached");
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");

        // two separate trusted states; the offline one has root v1 and nothing else, and never a server
        FileTrustedMetaStore onlineStore = new FileTrustedMetaStore(tmp.resolve("online"));
        FileTrustedMetaStore offlineStore = new FileTrustedMetaStore(tmp.resolve("offline"));
        offlineStore.commit(gun, Map.of("root", first.files().get("root")), Set.of());
        Path bundleFile = tmp.resolve("bundle.json");

        // 1. rotate-root: carol's token is lost, dave's new token takes its place
        Signer daveBare = tokenKey(3);
        Signer dave = daveBare.as(PublicKeys.toTufKey(RootCertificates.create(daveBare, gun, clock)));
        Bundle prepared = Ceremony.prepareReplaceRootKey(
                update(client, onlineStore, gun), carol.keyId(), dave.key(), List.of(), clock);
        Files.write(bundleFile, prepared.toBytes());
        // offline: one token at a time, each after its own check of the bundle file
        offlineSign(offlineStore, gun, bundleFile, List.of(alice), review -> {
            assertThat(review.summary()).contains(gun + ": rotate-root");
            assertThat(review.summary()).anySatisfy(l -> assertThat(l).startsWith("root v1 → v2; expires "));
            assertThat(review.summary())
                    .anySatisfy(l -> assertThat(l)
                            .startsWith("root keys: removed " + carol.keyId().substring(0, 16) + "…; added "
                                    + dave.keyId().substring(0, 16) + "…; kept ")
                            .endsWith("; threshold 2 of 3 (was 2 of 3)"));
            assertThat(review.summary())
                    .contains("needs signatures: 2 of the current root keys ("
                            + Plan.ids(Set.of(alice.keyId(), bob.keyId(), carol.keyId()))
                            + ") and 2 of the new root keys ("
                            + Plan.ids(Set.of(alice.keyId(), bob.keyId(), dave.keyId())) + ")");
        });
        // one old root key so far: the online side will not publish it
        Bundle half = Bundle.parse(Files.readAllBytes(bundleFile));
        assertThat(half.signedBy("root")).containsExactly(alice.keyId());
        assertThatThrownBy(() ->
                        Ceremony.verifyForPublish(half, update(client, onlineStore, gun), KeyRing.of(online), clock))
                .isInstanceOfSatisfying(RootRotationException.class, e -> {
                    assertThat(e.byTrustedKeys()).isTrue();
                    assertThat(e.found()).isEqualTo(1);
                    assertThat(e.needed()).isEqualTo(2);
                });
        offlineSign(offlineStore, gun, bundleFile, List.of(bob, dave), review -> {});
        PublishSet rotated = Ceremony.verifyForPublish(
                Bundle.parse(Files.readAllBytes(bundleFile)),
                update(client, onlineStore, gun),
                KeyRing.of(online),
                clock);
        assertThat(rotated.files().keySet()).containsExactly("root", "snapshot");
        client.publish(gun, rotated.files());
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
        assertThat(rootVersion(cached, gun)).isEqualTo(2);

        // 2. rotate-targets: a new online targets key; the offline side still trusts root v1 and walks to v2
        SoftwareSigner targets2 = SoftwareSigner.ecdsa();
        online.add(targets2);
        Files.write(
                bundleFile,
                Ceremony.prepareRotateTargets(update(client, onlineStore, gun), targets2.key(), List.of(), clock)
                        .toBytes());
        offlineSign(offlineStore, gun, bundleFile, List.of(alice, dave), review -> {
            assertThat(review.baseRoot().version()).isEqualTo(2);
            assertThat(review.summary()).anySatisfy(l -> assertThat(l).startsWith("targets keys: removed "));
            assertThat(review.summary())
                    .anySatisfy(l -> assertThat(l).startsWith("targets v1 → v2; content unchanged (1 targets)"));
        });
        PublishSet retargeted = Ceremony.verifyForPublish(
                Bundle.parse(Files.readAllBytes(bundleFile)),
                update(client, onlineStore, gun),
                KeyRing.of(online),
                clock);
        assertThat(retargeted.files().keySet()).containsExactly("root", "targets", "snapshot");
        assertThat(Signed.parse(retargeted.files().get("targets"), "targets").signatures())
                .extracting(s -> s.keyId())
                .containsExactly(targets2.keyId());
        client.publish(gun, retargeted.files());
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");

        // 3. resign-root: expiry extended, nothing else
        Repository before = update(client, onlineStore, gun);
        Files.write(
                bundleFile,
                Ceremony.prepareResignRoot(before, Duration.ofDays(3650), List.of(), clock)
                        .toBytes());
        offlineSign(offlineStore, gun, bundleFile, List.of(bob, dave), review -> {
            assertThat(review.summary()).contains(gun + ": resign-root");
            assertThat(review.summary()).anySatisfy(l -> assertThat(l).startsWith("root keys unchanged: "));
            // ten years from now outlasts the certificates made at init: the custodians are told
            assertThat(review.summary())
                    .anySatisfy(l -> assertThat(l)
                            .startsWith(
                                    "WARNING: root key " + bob.keyId().substring(0, 16) + "… certificate valid until ")
                            .endsWith(", before the new root expires"));
        });
        PublishSet resigned = Ceremony.verifyForPublish(
                Bundle.parse(Files.readAllBytes(bundleFile)),
                update(client, onlineStore, gun),
                KeyRing.of(online),
                clock);
        client.publish(gun, resigned.files());
        Root r4 = (Root) Signed.parse(resigned.files().get("root"), "root").signed();
        assertThat(r4.version()).isEqualTo(4);
        assertThat(r4.expires()).isAfter(before.root().signed().expires());
        assertThat(r4.keys()).isEqualTo(before.root().signed().keys());
        assertThat(r4.roles()).isEqualTo(before.root().signed().roles());

        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");

        // 4. rotate-snapshot to the server (-r): root only; the server signs snapshots from then on
        TufKey serverSnapshot = ServerKeys.of(client).rotate(gun, "snapshot");
        Files.write(
                bundleFile,
                Ceremony.prepareRotateSnapshot(update(client, onlineStore, gun), serverSnapshot, List.of(), clock)
                        .toBytes());
        offlineSign(
                offlineStore,
                gun,
                bundleFile,
                List.of(alice, bob),
                review -> assertThat(review.summary())
                        .anySatisfy(l -> assertThat(l).startsWith("snapshot keys: removed ")));
        PublishSet toServer = Ceremony.verifyForPublish(
                Bundle.parse(Files.readAllBytes(bundleFile)),
                update(client, onlineStore, gun),
                KeyRing.of(online),
                clock);
        assertThat(toServer.files().keySet()).containsExactly("root");
        client.publish(gun, toServer.files());

        // the client that cached root v1 walks to v5; so does a fresh one and the online updater
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
        assertThat(rootVersion(cached, gun)).isEqualTo(5);
        assertThat(NotaryList.parse(fx.freshCli("ceremony-fresh").ok("list", gun)))
                .containsOnlyKeys("v1");
        Repository after = update(client, onlineStore, gun);
        assertThat(after.root().version()).isEqualTo(5);
        assertThat(after.root().signed().keysOf("snapshot")).containsOnlyKeys(serverSnapshot.id());
        assertThat(((Targets) after.targetsRole("targets").orElseThrow().signed()).version())
                .isEqualTo(2);

        // a bundle prepared on v3 and published after v4 went out: the server moved
        Bundle late = Ceremony.prepareResignRoot(before, Duration.ofDays(3650), List.of(), clock);
        assertThatThrownBy(() -> Ceremony.verifyForPublish(late, after, KeyRing.of(online), clock))
                .isInstanceOfSatisfying(ServerMovedException.class, e -> {
                    assertThat(e.baseVersion()).isEqualTo(3);
                    assertThat(e.serverVersion()).isEqualTo(5);
                });
        // and the offline side, now trusting v4, refuses the first bundle (built on v1) as stale
        assertThatThrownBy(() -> Ceremony.verifyForSigning(
                        prepared,
                        TrustedMetadata.fromTrustedRoot(gun, offlineStore.get(gun, "root"), TrustPinning.TOFU, clock),
                        clock))
                .isInstanceOfSatisfying(StaleBundleException.class, e -> {
                    assertThat(e.trustedVersion()).isEqualTo(4);
                    assertThat(e.baseVersion()).isEqualTo(1);
                });
    }

    @Test
    void ceremony_resignExpiredRoot_clientsRecover() throws Exception {
        NotaryFixtures fx = NotaryFixtures.get();
        NotaryClient client = fx.client();
        String gun =
                "example.com/ceremony-expired/" + UUID.randomUUID().toString().substring(0, 8);
        List<Signer> online = new ArrayList<>();
        RepoInit init = RepoInit.create(
                gun, List.of(tokenKey(0)), 1, SoftwareSigner.ecdsaInto(online), ServerKeys.of(client), false, clock);
        Signer root = init.signers().get(0);
        init.editor().addTarget("targets", "v1", FileMeta.of(bytes("one"))).expiry("root", Duration.ofSeconds(3));
        PublishSet first = init.editor().buildPublish(init.keyRing());
        client.publish(gun, first.files());
        NotaryCli cached = fx.freshCli("expired-cached");
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
        FileTrustedMetaStore onlineStore = new FileTrustedMetaStore(tmp.resolve("online"));
        FileTrustedMetaStore offlineStore = new FileTrustedMetaStore(tmp.resolve("offline"));
        offlineStore.commit(gun, Map.of("root", first.files().get("root")), Set.of());
        update(client, onlineStore, gun);
        Root r1 = (Root) Signed.parse(first.files().get("root"), "root").signed();
        while (!clock.instant().isAfter(r1.expires().toInstant().plusMillis(200))) {
            Thread.sleep(200);
        }

        // expired: our updater and the notary client refuse the repository
        assertThatThrownBy(() -> update(client, onlineStore, gun)).isInstanceOf(ExpiredMetadataException.class);
        NotaryCli.Result refused = cached.run("list", gun);
        assertThat(refused.ok()).isFalse();
        assertThat(refused.stdout()).contains("* fatal: root expired at ");

        // the one way in: read it for re-signing only, then a resign-root ceremony
        Repository expired = Updater.builder()
                .gun(gun)
                .fetcher(new NotaryMetaFetcher(client, gun))
                .store(onlineStore)
                .clock(clock)
                .allowExpiredRoot()
                .build()
                .update();
        Path bundleFile = tmp.resolve("bundle.json");
        Files.write(
                bundleFile,
                Ceremony.prepareResignRoot(expired, Duration.ofDays(365), List.of(), clock)
                        .toBytes());
        offlineSign(
                offlineStore,
                gun,
                bundleFile,
                List.of(root),
                review -> assertThat(review.summary())
                        .anySatisfy(l -> assertThat(l).startsWith("root v1 → v2; expires ")));
        PublishSet resigned = Ceremony.verifyForPublish(
                Bundle.parse(Files.readAllBytes(bundleFile)), expired, KeyRing.of(online), clock);
        client.publish(gun, resigned.files());
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
        assertThat(rootVersion(cached, gun)).isEqualTo(2);
        assertThat(update(client, onlineStore, gun).root().version()).isEqualTo(2);
    }

    @FunctionalInterface
    interface ReviewCheck {
        void check(Review review) throws Exception;
    }

    /**
     * The offline side: reads the bundle file, checks it against its own trusted root only, shows the
     * summary (here: asserts on it), signs with the tokens present, writes the file back and keeps the
     * verified base root as its trusted root.
     */
    private void offlineSign(
            FileTrustedMetaStore offlineStore,
            String gun,
            Path bundleFile,
            List<Signer> tokensPresent,
            ReviewCheck approve)
            throws Exception {
        TrustedMetadata trusted =
                TrustedMetadata.fromTrustedRoot(gun, offlineStore.get(gun, "root"), TrustPinning.TOFU, clock);
        Review review = Ceremony.verifyForSigning(Bundle.parse(Files.readAllBytes(bundleFile)), trusted, clock);
        approve.check(review);
        Bundle signed = Ceremony.addSignatures(review, tokensPresent);
        Files.write(bundleFile, signed.toBytes());
        if (review.baseRoot().version() > trusted.root().version()) {
            offlineStore.commit(gun, Map.of("root", review.baseRoot().toBytes()), Set.of());
        }
    }

    private static int rootVersion(NotaryCli cli, String gun) throws Exception {
        return ((Root) Signed.parse(Files.readAllBytes(cli.metadataFile(gun, "root")), "root")
                        .signed())
                .version();
    }

    private Repository update(NotaryClient client, FileTrustedMetaStore store, String gun) throws Exception {
        return NotaryFixtures.update(client, store, gun, clock);
    }
}
