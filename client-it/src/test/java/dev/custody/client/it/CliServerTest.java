package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custody.testhsm.Closeables;
import dev.custody.testhsm.NotaryServer;
import dev.custody.testhsm.OpenSsl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * notary's global flags end to end: {@code -s URL} and {@code --tlscacert FILE} (and docker's
 * DOCKER_CONTENT_TRUST_SERVER) through bin/custody → custodyd → a real TLS notary-server. custodyd picks the
 * configured server with that URL, refuses URLs its config does not list, and refuses a CA other than its own.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliServerTest {
    @TempDir
    static Path dir;

    static NotaryServer server;
    static DaemonFixture daemon;
    static Custody custody;
    static String url;
    static Path ca;
    static final String GUN =
            "example.com/server/" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void start() throws Exception {
        server = NotaryServer.startTls(Files.createDirectories(dir.resolve("notary-server")));
        url = server.url();
        assertThat(url).startsWith("https://127.0.0.1:");
        ca = server.caCert().toAbsolutePath();
        daemon = new DaemonFixture(dir.resolve("d"), url, ca, true);
        custody = new Custody(daemon.socket, dir.resolve("cds"));
        custody.unlock("main");
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(daemon, server);
    }

    @Test
    @Order(1)
    void urlAndCa_initAddList_againstTheTlsServer() throws Exception {
        custody.run("-s", url, "--tlscacert", ca.toString(), "init", GUN, "-p").ok();
        Path f = Files.writeString(dir.resolve("app.txt"), "hello\n");
        custody.run("add", GUN, "v1", f.toString(), "-p", "-s", url, "--tlscacert", ca.toString())
                .ok();
        Custody.Result r = custody.run("-s", url, "--tlscacert", ca.toString(), "list", GUN)
                .ok();
        assertThat(r.out())
                .isEqualTo(
                        "NAME    DIGEST" + " ".repeat(62) + "SIZE (BYTES)    ROLE\n"
                                + "----    ------" + " ".repeat(62) + "------------    ----\n"
                                + "v1      5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03    6               targets\n");
        assertThat(r.err()).isEmpty();
    }

    @Test
    @Order(2)
    void equalUrlVariants_andTheConfiguredName_selectTheSameServer() throws Exception {
        String variant = url.replace("https://", "HTTPS://") + "/";
        assertThat(custody.run("-s", variant, "list", GUN).ok().out()).contains("v1 ");
        assertThat(custody.run("-s", "default", "lookup", GUN, "v1").ok().out()).startsWith("v1 sha256:5891b5b5");
        assertThat(custody.run("--server", url, "lookup", GUN, "v1").ok().out()).startsWith("v1 sha256:5891b5b5");
    }

    @Test
    @Order(3)
    void unknownUrl_refusedNamingTheConfiguredServers_exit4() throws Exception {
        String other = "https://localhost:" + server.port();
        Custody.Result r = custody.run("-s", other, "--tlscacert", ca.toString(), "list", GUN);
        assertThat(r.status()).as(r.err()).isEqualTo(4);
        assertThat(r.err())
                .isEqualTo("custody: custodyd has no Notary server with URL " + other + " (it has default = "
                        + url + "); to use it, add it to custodyd's config under 'servers' (name, url: " + other
                        + ", caFile) and"
                        + " restart custodyd\n");
        assertThat(r.out()).isEmpty();
        Custody.Result name = custody.run("-s", "staging", "publish", GUN);
        assertThat(name.status()).isEqualTo(4);
        assertThat(name.err())
                .isEqualTo("custody: custodyd has no Notary server named 'staging' (it has default = " + url
                        + "); give one of these names or its URL\n");
    }

    @Test
    @Order(4)
    void otherCa_refused_nothingStaged_exit1() throws Exception {
        Path other = dir.resolve("other-ca.crt");
        OpenSsl.selfSignedP256(dir.resolve("other-ca.key"), other, "/CN=other CA", 2);
        Custody.Result r = custody.run(
                "-s", url, "--tlscacert", other.toString(), "addhash", GUN, "v2", "6", "--sha256", "a".repeat(64));
        assertThat(r.status()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("custody: custodyd trusts a different CA for default: " + ca + "\n");
        assertThat(custody.run("status", GUN).ok().out()).isEqualTo("No unpublished changes for " + GUN + "\n");
    }

    @Test
    @Order(5)
    void badCaFile_oneLineExit1_nothingSent() throws Exception {
        Path none = dir.resolve("absent.pem");
        Custody.Result r = custody.run("--tlscacert", none.toString(), "list", GUN);
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("custody: --tlscacert: no such file: " + none + "\n");
        Path notPem = Files.writeString(dir.resolve("not.pem"), "hello\n");
        Custody.Result bad = custody.run("--tlscacert", notPem.toString(), "list", GUN);
        assertThat(bad.status()).isEqualTo(1);
        assertThat(bad.err())
                .isEqualTo("custody: --tlscacert: " + notPem + " holds no PEM certificate (give the CA"
                        + " certificate of the Notary server, as for notary --tlscacert)\n");
    }

    @Test
    @Order(6)
    void dockerContentTrustServer_resolvedLikeS() throws Exception {
        Custody.Result r = new Custody(daemon.socket, dir.resolve("cds"))
                .env("DOCKER_CONTENT_TRUST_SERVER", url)
                .run("trust", "inspect", GUN + ":v1")
                .ok();
        assertThat(r.out())
                .startsWith("[\n    {\n        \"Name\": \"" + GUN + ":v1\",\n        \"SignedTags\": [\n")
                .contains("\"Digest\": \"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03\"");
        Custody.Result unknown = new Custody(daemon.socket, dir.resolve("cds"))
                .env("DOCKER_CONTENT_TRUST_SERVER", "https://notary.docker.io")
                .run("trust", "inspect", GUN);
        assertThat(unknown.status()).isEqualTo(4);
        assertThat(unknown.err())
                .startsWith("custody: custodyd has no Notary server with URL https://notary.docker.io:443"
                        + " (it has default = " + url + ")");
        assertThat(unknown.err().lines()).hasSize(1);
    }
}
