package dev.custody.tuf;

import static dev.custody.tuf.testing.NotaryFixtures.bytes;
import static dev.custody.tuf.testing.NotaryFixtures.sha256Hex;
import static org.assertj.core.api.Assertions.assertThat;

import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryList;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.repo.PublishSet;
import dev.custody.tuf.repo.RepoEditor;
import dev.custody.tuf.repo.ServerKeys;
import dev.custody.tuf.server.NotaryClient;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.testing.NotaryFixtures;
import dev.custody.tuf.testing.SoftwareSigner;
import dev.custody.tuf.update.FileTrustedMetaStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our writes, their reads: a repository initialised, edited and published by this module is listed by the
 * real notary CLI ({@code notary list}, {@code -r targets/releases}), also by a notary client that cached
 * root v1, across a targets key rotation, a snapshot key rotation to the server ({@code -r}) and a root
 * key rotation (cross-signed by the old root key).
 */
class OurWritesTheirReadsTest {
    @TempDir
    Path tmp;

    private final Clock clock = Clock.systemUTC();

    /** New keys for the repository; {@link SoftHsmOurWritesTheirReadsTest} makes them on a SoftHSM2 token. */
    protected Signer newKey(String role) throws Exception {
        return SoftwareSigner.ecdsa();
    }

    @Test
    void publish_ourRepositoryListedByNotary() throws Exception {
        NotaryFixtures fx = NotaryFixtures.get();
        NotaryClient client = fx.client();
        ServerKeys serverKeys = ServerKeys.of(client);
        String gun = "example.com/ours/" + UUID.randomUUID().toString().substring(0, 8);
        List<Signer> signers = new ArrayList<>();

        // init: root certificate through the Signer, targets and snapshot keys here, timestamp the server's
        Signer root = newKey("root");
        TufKey rootCert = PublicKeys.toTufKey(RootCertificates.create(root, gun, clock));
        Signer targets = newKey("targets");
        Signer snapshot = newKey("snapshot");
        signers.addAll(List.of(root, targets, snapshot));
        RepoEditor init = RepoEditor.create(
                gun, rootCert, targets.key(), snapshot.key(), serverKeys.get(gun, "timestamp"), clock);
        init.addTarget("targets", "v1", FileMeta.of(bytes("one")));
        PublishSet first = init.buildPublish(KeyRing.of(signers));
        assertThat(first.files().keySet()).containsExactly("root", "targets", "snapshot");
        client.publish(gun, first.files());

        NotaryCli cached = fx.freshCli("cached");
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
        assertThat(NotaryList.parse(cached.ok("list", gun)).get("v1"))
                .containsExactly(sha256Hex(bytes("one")), "3", "targets");

        FileTrustedMetaStore store = new FileTrustedMetaStore(tmp.resolve("ours"));

        // delegation targets/releases with one target in it
        Signer releases = newKey("targets/releases");
        signers.add(releases);
        PublishSet deleg = edit(client, store, gun)
                .addDelegation("targets/releases", List.of(releases.key()), List.of(""), 1)
                .addTarget("targets/releases", "rel", FileMeta.of(bytes("release")))
                .buildPublish(KeyRing.of(signers));
        assertThat(deleg.files().keySet()).containsExactly("targets", "targets/releases", "snapshot");
        client.publish(gun, deleg.files());
        assertThat(NotaryList.parse(cached.ok("list", gun, "-r", "targets/releases")))
                .containsOnlyKeys("rel");
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "rel");

        // targets key rotation: root v2, targets re-signed with the new key
        Signer targets2 = newKey("targets");
        signers.add(targets2);
        PublishSet rot = edit(client, store, gun)
                .rotateKey("targets", targets2.key())
                .addTarget("targets", "v2", FileMeta.of(bytes("two")))
                .buildPublish(KeyRing.of(signers));
        assertThat(rot.files().keySet()).containsExactly("root", "targets", "snapshot");
        client.publish(gun, rot.files());
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2", "rel");

        // snapshot key rotation to the server (-r): root v3 only; the server signs snapshots from now on
        TufKey serverSnapshot = serverKeys.rotate(gun, "snapshot");
        PublishSet snapR =
                edit(client, store, gun).rotateKey("snapshot", serverSnapshot).buildPublish(KeyRing.of(signers));
        assertThat(snapR.files().keySet()).containsExactly("root");
        client.publish(gun, snapR.files());
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2", "rel");
        PublishSet afterR = edit(client, store, gun)
                .addTarget("targets", "v3", FileMeta.of(bytes("three")))
                .buildPublish(KeyRing.of(signers));
        assertThat(afterR.files().keySet()).containsExactly("targets");
        client.publish(gun, afterR.files());
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2", "v3", "rel");

        // root key rotation: root v4 signed by the old and the new root key
        Signer root2 = newKey("root");
        signers.add(root2);
        TufKey rootCert2 = PublicKeys.toTufKey(RootCertificates.create(root2, gun, clock));
        PublishSet rr = edit(client, store, gun).rotateRootKey(rootCert2).buildPublish(KeyRing.of(signers));
        Signed<?> newRoot = Signed.parse(rr.files().get("root"), "root");
        assertThat(newRoot.version()).isEqualTo(4);
        assertThat(newRoot.signatures())
                .extracting(s -> s.keyId())
                .containsExactlyInAnyOrder(rootCert.id(), rootCert2.id());
        client.publish(gun, rr.files());
        // the client that cached root v1 walks 2, 3, 4 and accepts
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2", "v3", "rel");
        assertThat(((Root) Signed.parse(java.nio.file.Files.readAllBytes(cached.metadataFile(gun, "root")), "root")
                                .signed())
                        .version())
                .isEqualTo(4);
        // and so does a new one, and our updater
        assertThat(NotaryList.parse(fx.freshCli("fresh").ok("list", gun))).containsOnlyKeys("v1", "v2", "v3", "rel");
        Repository now = update(client, store, gun);
        assertThat(now.root().version()).isEqualTo(4);

        // after the rotation the new root key alone can sign the next root
        PublishSet witness =
                RepoEditor.load(now, clock).witness("root").buildPublish(KeyRing.of(List.of(root2, targets2)));
        assertThat(Signed.parse(witness.files().get("root"), "root").signatures())
                .hasSize(1);
        client.publish(gun, witness.files());
        assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2", "v3", "rel");
    }

    private RepoEditor edit(NotaryClient client, FileTrustedMetaStore store, String gun) throws Exception {
        return RepoEditor.load(update(client, store, gun), clock);
    }

    private Repository update(NotaryClient client, FileTrustedMetaStore store, String gun) throws Exception {
        return NotaryFixtures.update(client, store, gun, clock);
    }
}
