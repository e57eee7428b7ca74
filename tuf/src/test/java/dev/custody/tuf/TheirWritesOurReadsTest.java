package dev.custody.tuf;

import static dev.custody.tuf.testing.NotaryFixtures.bytes;
import static dev.custody.tuf.testing.NotaryFixtures.sha256Hex;
import static org.assertj.core.api.Assertions.assertThat;

import dev.custody.testhsm.NotaryList;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Targets;
import dev.custody.tuf.repo.PublishSet;
import dev.custody.tuf.repo.RepoEditor;
import dev.custody.tuf.server.NotaryClient;
import dev.custody.tuf.testing.NotaryFixtures;
import dev.custody.tuf.testing.NotaryKeys;
import dev.custody.tuf.update.FileTrustedMetaStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Their writes, our reads: a repository the notary CLI made (with a delegation) is verified, edited and
 * published by us with notary's own keys, and both the notary client that made it (with its cache) and a
 * new one list the result; notary can still publish on top.
 */
class TheirWritesOurReadsTest {
    @TempDir
    Path tmp;

    private final Clock clock = Clock.systemUTC();

    @Test
    void publish_notaryRepositoryEditedByUs() throws Exception {
        NotaryFixtures fx = NotaryFixtures.get();
        String gun = fx.gun("edit-by-custody");
        NotaryClient client = fx.client();
        FileTrustedMetaStore store = new FileTrustedMetaStore(tmp.resolve("theirs"));
        Repository theirs = update(client, store, gun);
        assertThat(theirs.listTargets("targets"))
                .extracting(Repository.Target::name)
                .containsExactly("rel", "v1");

        // notary's own keys, decrypted from its trust dir (as a migration would import them)
        NotaryKeys keys = fx.keysOf("edit-by-custody");
        Targets top = theirs.targetsRole("targets").orElseThrow().signed();
        keys.with(
                top.delegationsOrEmpty().keys().values().iterator().next(),
                fx.scenarioFile("edit-by-custody", "releases.key"));

        PublishSet set = RepoEditor.load(theirs, clock)
                .addTarget("targets", "ours", FileMeta.of(bytes("ours")))
                .addTarget("targets/releases", "ours-rel", FileMeta.of(bytes("ours-rel")))
                .removeTarget("targets", "v1")
                .buildPublish(keys);
        assertThat(set.files().keySet()).containsExactly("targets", "targets/releases", "snapshot");
        client.publish(gun, set.files());

        Map<String, List<String>> expected = Map.of(
                "ours", List.of(sha256Hex(bytes("ours")), "4", "targets"),
                "ours-rel", List.of(sha256Hex(bytes("ours-rel")), "8", "targets/releases"),
                "rel",
                        List.of(
                                sha256Hex(java.nio.file.Files.readAllBytes(
                                        fx.scenarioFile("edit-by-custody", "files/app.bin"))),
                                "4096",
                                "targets/releases"));
        // the notary client that made the repository (with its cache) and a new one both list our edit
        assertThat(NotaryList.parse(fx.cliOf("edit-by-custody").ok("list", gun)))
                .isEqualTo(expected);
        assertThat(NotaryList.parse(fx.freshCli("theirs").ok("list", gun))).isEqualTo(expected);
        assertThat(update(client, store, gun).listTargets("targets"))
                .extracting(Repository.Target::name)
                .containsExactly("ours", "ours-rel", "rel");
        // and notary can still publish on top of our edit
        Path f = tmp.resolve("later.txt");
        java.nio.file.Files.writeString(f, "later");
        fx.cliOf("edit-by-custody").ok("add", gun, "later", f.toString(), "--publish");
        assertThat(update(client, store, gun).listTargets("targets"))
                .extracting(Repository.Target::name)
                .containsExactly("later", "ours", "ours-rel", "rel");
    }

    private RepoEditor edit(NotaryClient client, FileTrustedMetaStore store, String gun) throws Exception {
        return RepoEditor.load(update(client, store, gun), clock);
    }

    private Repository update(NotaryClient client, FileTrustedMetaStore store, String gun) throws Exception {
        return NotaryFixtures.update(client, store, gun, clock);
    }
}
