package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.testhsm.Closeables;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryServer;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's ceremony defects, through bin/custody against a real custodyd and notary-server: refusals exit
 * with the exit table's status, {@code root-cert -o json} prints JSON, and a repository is started by the
 * {@code init} ceremony from root certificates made by {@code ceremony root-cert}, its root tokens locked
 * before the online publish, then read by the real notary client.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliCeremonyTest {
    static final Duration STEP = Duration.ofSeconds(180);
    static final ObjectMapper JSON = new ObjectMapper();
    static final String GUN =
            "example.com/ceremony/init-" + UUID.randomUUID().toString().substring(0, 8);

    @TempDir
    static Path dir;

    static NotaryServer server;
    static DaemonFixture daemon;
    static Custody custody;
    static NotaryCli notary;

    @BeforeAll
    static void start() throws Exception {
        server = NotaryServer.startHttp(Files.createDirectories(dir.resolve("notary-server")));
        daemon = new DaemonFixture(dir.resolve("d"), server.url(), null, true, List.of("root1", "root2"));
        custody = new Custody(daemon.socket, dir.resolve("cds"));
        custody.unlock("main", "root1", "root2");
        notary = NotaryCli.create(Files.createDirectories(dir.resolve("notary-trust")), server);
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(daemon, server);
    }

    @Test
    @Order(1)
    void refusals_exitWithTheExitTablesStatus() {
        assertTimeoutPreemptively(STEP, () -> {
            Custody.Result unknownKey = custody.run("ceremony", "root-cert", "0".repeat(64), GUN);
            assertThat(unknownKey.status()).as(unknownKey.err()).isEqualTo(4); // NOT_FOUND
            assertThat(unknownKey.err()).startsWith("custody: ").contains("no key " + "0".repeat(64));
            Path junk = Files.writeString(dir.resolve("junk.bundle"), "{\"format\":\"something else\"}");
            Custody.Result malformed = custody.run("ceremony", "sign", junk.toString());
            assertThat(malformed.status()).as(malformed.err()).isEqualTo(6); // METADATA_INVALID
            assertThat(malformed.err()).contains("[malformed-bundle]");
            Custody.Result usage = custody.run(
                    "ceremony", "prepare", GUN, "--out", dir.resolve("x").toString());
            assertThat(usage.status()).as(usage.err()).isEqualTo(2);
        });
    }

    @Test
    @Order(2)
    void rootCert_outputJson_isJson() {
        assertTimeoutPreemptively(STEP, () -> {
            String id = keyGenerate("root1");
            JsonNode j = JSON.readTree(custody.run("ceremony", "root-cert", id, GUN, "-o", "json")
                    .ok()
                    .out());
            assertThat(j.path("bareKeyId").asText()).isEqualTo(id);
            assertThat(j.path("keyId").asText()).matches("[0-9a-f]{64}").isNotEqualTo(id);
            assertThat(j.path("certificate").asText()).startsWith("-----BEGIN CERTIFICATE-----\n");
            Path pem = dir.resolve("r.pem");
            JsonNode withFile =
                    JSON.readTree(custody.run("ceremony", "root-cert", id, GUN, "--out", pem.toString(), "-o", "json")
                            .ok()
                            .out());
            assertThat(withFile.path("file").asText()).isEqualTo(pem.toString());
            assertThat(Files.readString(pem)).startsWith("-----BEGIN CERTIFICATE-----\n");
        });
    }

    @Test
    @Order(3)
    void init_fromOfflineRootCertificates_signedOffline_publishedWithRootTokensLocked_listedByNotary() {
        assertTimeoutPreemptively(STEP, () -> {
            // "offline": two root keys on their own tokens, their certificates for GUN
            String k1 = keyGenerate("root1");
            String k2 = keyGenerate("root2");
            Path c1 = dir.resolve("root1.pem");
            Path c2 = dir.resolve("root2.pem");
            String cert1 = JSON.readTree(
                            custody.run("ceremony", "root-cert", k1, GUN, "--out", c1.toString(), "-o", "json")
                                    .ok()
                                    .out())
                    .path("keyId")
                    .asText();
            String cert2 = JSON.readTree(
                            custody.run("ceremony", "root-cert", k2, GUN, "--out", c2.toString(), "-o", "json")
                                    .ok()
                                    .out())
                    .path("keyId")
                    .asText();

            // online: prepare from the certificates alone
            Path bundle = dir.resolve("init.bundle");
            Custody.Result prepared = custody.run(
                            "ceremony",
                            "prepare",
                            GUN,
                            "--init",
                            "--root-keys",
                            c1 + "," + c2,
                            "--threshold",
                            "2",
                            "--server-managed",
                            "--out",
                            bundle.toString())
                    .ok();
            assertThat(prepared.out())
                    .contains("(init, a new repository, root v1)")
                    .contains("  " + GUN + ": init\n")
                    .contains("root keys: ")
                    .contains("threshold 2 of 2")
                    .contains("needs signatures: 2 of the new root keys");

            // offline: sign; both root keys count
            Custody.Result signed =
                    custody.run("ceremony", "sign", bundle.toString()).ok();
            assertThat(signed.out())
                    .contains("a new repository")
                    .contains("Signed by: ")
                    .contains(cert1)
                    .contains(cert2)
                    .contains("Complete.");

            // the root tokens go away before anything is published
            custody.run("token", "lock", "root1").ok();
            custody.run("token", "lock", "root2").ok();
            Custody.Result published =
                    custody.run("ceremony", "publish", bundle.toString()).ok();
            assertThat(published.out())
                    .startsWith("Published " + GUN + ":")
                    .contains("root v1")
                    .contains("targets v1");

            // the real notary client reads it; its root is the offline one
            assertThat(notary.ok("list", GUN)).contains("No targets");
            Root root = (Root) Signed.parse(Files.readAllBytes(notary.metadataFile(GUN, "root")), "root")
                    .signed();
            assertThat(root.keysOf("root")).containsOnlyKeys(cert1, cert2);
            assertThat(root.role("root").threshold()).isEqualTo(2);

            // and the repository works like one made by init
            Path file = Files.writeString(dir.resolve("app.txt"), "app " + UUID.randomUUID(), StandardCharsets.UTF_8);
            custody.run("add", GUN, "app", file.toString(), "-p").ok();
            assertThat(notary.ok("list", GUN)).contains("app ");

            // publishing the same bundle again changes nothing; a second init is a CONFLICT (exit 7)
            assertThat(custody.run("ceremony", "publish", bundle.toString())
                            .ok()
                            .out())
                    .startsWith("Published " + GUN);
            Custody.Result again = custody.run(
                    "ceremony",
                    "prepare",
                    GUN,
                    "--init",
                    "--root-keys",
                    c1.toString(),
                    "--out",
                    dir.resolve("again.bundle").toString());
            assertThat(again.status()).as(again.err()).isEqualTo(7);
            assertThat(again.err()).contains("already initialised here");
        });
    }

    /** A root key on {@code token}; its bare key ID. */
    private static String keyGenerate(String token) throws Exception {
        return JSON.readTree(custody.run("key", "generate", "--role", "root", "--token", token, "-o", "json")
                        .ok()
                        .out())
                .path("keyId")
                .asText();
    }
}
