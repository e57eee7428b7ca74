package dev.custody.tuf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryList;
import dev.custody.tuf.canonical.CanonicalJson;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.server.NotaryClient;
import dev.custody.tuf.testing.NotaryFixtures;
import dev.custody.tuf.update.FileTrustedMetaStore;
import dev.custody.tuf.update.NotaryMetaFetcher;
import dev.custody.tuf.update.Updater;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every fixture repository the real notary CLI built (see test-hsm/notary-fixtures) is fetched from the
 * real notary-server, verified from {@code 1.root.json} up the root chain, and each file re-serialised
 * byte-identical, in canonical form and as a whole file; what we resolve equals {@code notary list}.
 */
class NotaryFixtureRoundTripTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "init",
                "add",
                "delegation",
                "delegation-paths",
                "rotate-targets",
                "rotate-snapshot-server",
                "witness",
                "rotate-root",
                "odd-names",
                "edit-by-custody"
            })
    void update_fixture(String scenario) throws Exception {
        NotaryFixtures fx = NotaryFixtures.get();
        String gun = fx.gun(scenario);
        NotaryClient client = fx.client();
        FileTrustedMetaStore store = new FileTrustedMetaStore(tmp.resolve("trust"));
        // start from version 1 so the root chain (N.root.json) is walked and checked
        store.commit(gun, Map.of("root", client.getRootVersion(gun, 1)), java.util.Set.of());

        Repository repo = Updater.builder()
                .gun(gun)
                .fetcher(new NotaryMetaFetcher(client, gun))
                .store(store)
                .build()
                .update();

        // the latest root is the server's root.json
        assertThat(store.get(gun, "root")).isEqualTo(client.getRole(gun, "root"));
        int expectedRootVersion = List.of("rotate-targets", "rotate-snapshot-server", "rotate-root")
                        .contains(scenario)
                ? 2
                : 1;
        assertThat(repo.root().version()).isEqualTo(expectedRootVersion);

        for (String role : store.roles(gun)) {
            byte[] raw = store.get(gun, role);
            Signed<?> s = Signed.parse(raw, role);
            // canonical form of our model == canonical form of the signed bytes as received
            assertThat(CanonicalJson.encode(s.signed().toJson())).as(role).isEqualTo(s.canonical());
            // and the whole file as notary writes it
            assertThat(new String(s.toBytes())).as(role + " file").isEqualTo(new String(raw));
        }

        // what we resolve is what notary lists
        NotaryCli cli = fx.freshCli(scenario);
        Map<String, List<String>> theirs = NotaryList.parse(cli.ok("list", gun));
        Map<String, List<String>> ours = new LinkedHashMap<>();
        for (Repository.Target t : repo.listTargets("targets")) {
            ours.put(
                    t.name(),
                    List.of(
                            HexFormat.of().formatHex(t.meta().hash("sha256").orElseThrow()),
                            Long.toString(t.meta().length()),
                            t.role()));
        }
        assertThat(ours).isEqualTo(theirs);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"init", "rotate-root"})
    void keyIds_fixture(String scenario) throws Exception {
        NotaryFixtures fx = NotaryFixtures.get();
        String gun = fx.gun(scenario);
        Root root =
                (Root) Signed.parse(fx.client().getRole(gun, "root"), "root").signed();
        // every key ID in root.json is the SHA-256 of the canonical key object
        root.keys().forEach((id, key) -> assertThat(key.id()).isEqualTo(id));
        // the root key is listed under its certificate-bearing ID; notary names the private key file
        // (and `notary key list` shows it) by the ID of the bare ecdsa key
        TufKey rootKey = root.keysOf("root").values().iterator().next();
        assertThat(rootKey.keyType()).isEqualTo("ecdsa-x509");
        String canonical = PublicKeys.canonicalKeyId(rootKey);
        assertThat(canonical).isNotEqualTo(rootKey.id());
        try (Stream<Path> files = Files.list(fx.cliOf(scenario).trustDir().resolve("private"))) {
            assertThat(files.map(p -> p.getFileName().toString())).contains(canonical + ".key");
        }
        assertThat(fx.cliOf(scenario).ok("key", "list")).contains(canonical).doesNotContain(rootKey.id());
    }
}
