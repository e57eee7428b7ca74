package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.custody.testhsm.Closeables;
import dev.custody.testhsm.LocalRegistry;
import dev.custody.testhsm.NotaryServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 6's docker acceptance: a real registry (Debian docker-registry on 127.0.0.1, an image pushed
 * over the Registry HTTP API v2), a TLS notary-server, custodyd on SoftHSM2; {@code custody trust
 * signer add} / {@code trust sign} / {@code trust revoke}, each read back by the real docker CLI's
 * {@code docker trust inspect} (no engine), whose output ours must equal.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerTrustInteropTest {
    static final Duration STEP = Duration.ofSeconds(120);

    @TempDir
    static Path dir;

    static NotaryServer server;
    static LocalRegistry registry;
    static DaemonFixture daemon;
    static Custody custody;
    static Path dockerConfig;
    static String repo;
    static LocalRegistry.Pushed image;

    @BeforeAll
    static void start() throws Exception {
        assertTimeoutPreemptively(STEP, () -> {
            server = NotaryServer.startTls(Files.createDirectories(dir.resolve("notary-server")));
            registry = LocalRegistry.start(dir.resolve("registry"));
            String path = "demo/app-" + UUID.randomUUID().toString().substring(0, 8);
            repo = registry.hostPort() + "/" + path;
            image = registry.pushImage(path, "v1", ("layer " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8));
            daemon = new DaemonFixture(dir.resolve("d"), server.url(), server.caCert(), true);
            custody = new Custody(daemon.socket, dir.resolve("cds"));
            custody.unlock("main");
            dockerConfig = Files.createDirectories(dir.resolve("docker-config"));
            Path tls = Files.createDirectories(dockerConfig.resolve("tls").resolve(server.hostPort()));
            Files.copy(server.caCert(), tls.resolve("ca.crt"));
        });
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(daemon, registry, server);
    }

    @Test
    @Order(1)
    void keyGenerate_signerAdd_sign() {
        assertTimeoutPreemptively(STEP, () -> {
            Path keys = Files.createDirectories(dir.resolve("keys"));
            custody.run("trust", "key", "generate", "jeff", "--dir", keys.toString())
                    .ok();
            assertThat(keys.resolve("jeff.pub")).exists();
            Custody.Result add = custody.run(
                            "trust",
                            "signer",
                            "add",
                            "--key",
                            keys.resolve("jeff.pub").toString(),
                            "jeff",
                            repo)
                    .ok();
            assertThat(add.out()).contains("Successfully added signer: jeff to " + repo);
            Custody.Result sign = custody.run("trust", "sign", repo + ":v1").ok();
            assertThat(sign.out())
                    .contains("v1: digest: " + image.digest() + " size: " + image.size() + "\n")
                    .endsWith("Successfully signed " + repo + ":v1\n");
        });
    }

    @Test
    @Order(2)
    void dockerInspectPretty_showsTagDigestSigner_andOursIsTheSame() {
        assertTimeoutPreemptively(STEP, () -> {
            Run docker = docker("trust", "inspect", "--pretty", repo + ":v1");
            assertThat(docker.status()).as(docker.err()).isZero();
            assertThat(docker.out()).containsPattern("(?m)^v1 +" + image.sha256Hex() + " +jeff$");
            String ours = custody.run("trust", "inspect", "--pretty", repo + ":v1")
                    .ok()
                    .out();
            assertThat(ours).isEqualTo(docker.out());
            Run dockerRepo = docker("trust", "inspect", "--pretty", repo);
            assertThat(dockerRepo.status()).as(dockerRepo.err()).isZero();
            assertThat(custody.run("trust", "inspect", "--pretty", repo).ok().out())
                    .isEqualTo(dockerRepo.out());
        });
    }

    @Test
    @Order(3)
    void dockerInspectJson_andOursIsTheSame() {
        assertTimeoutPreemptively(STEP, () -> {
            for (String name : List.of(repo, repo + ":v1")) {
                Run docker = docker("trust", "inspect", name);
                assertThat(docker.status()).as(docker.err()).isZero();
                assertThat(docker.out())
                        .contains("\"SignedTag\": \"v1\"")
                        .contains("\"Digest\": \"" + image.sha256Hex() + "\"")
                        .contains("\"Name\": \"jeff\"");
                assertThat(custody.run("trust", "inspect", name).ok().out()).isEqualTo(docker.out());
            }
        });
    }

    @Test
    @Order(4)
    void revoke_thenDockerShowsNoSignedTags() {
        assertTimeoutPreemptively(STEP, () -> {
            custody.run("trust", "revoke", repo + ":v1").ok();
            Run docker = docker("trust", "inspect", "--pretty", repo);
            assertThat(docker.status()).as(docker.err()).isZero();
            assertThat(docker.out())
                    .startsWith("\nNo signatures for " + repo + "\n")
                    .doesNotContain(image.sha256Hex());
            assertThat(custody.run("trust", "inspect", "--pretty", repo).ok().out())
                    .isEqualTo(docker.out());
            Run json = docker("trust", "inspect", repo);
            assertThat(custody.run("trust", "inspect", repo).ok().out()).isEqualTo(json.out());
        });
    }

    /**
     * Issue 14: a tag signed into several delegations lists every signer, as docker does ("ben, jeff" in
     * --pretty, walk order in JSON), the repository's signers come in docker's order (JSON: name descending,
     * --pretty: natural order), and tags sort naturally (v9 before v10).
     */
    @Test
    @Order(5)
    void secondSigner_tagSignedIntoBoth_dockerListsEverySigner_andOursIsTheSame() {
        assertTimeoutPreemptively(STEP, () -> {
            Path keys = dir.resolve("keys");
            custody.run("trust", "key", "generate", "ben", "--dir", keys.toString())
                    .ok();
            custody.run(
                            "trust",
                            "signer",
                            "add",
                            "--key",
                            keys.resolve("ben.pub").toString(),
                            "ben",
                            repo)
                    .ok();
            String path = repo.substring(repo.indexOf('/') + 1);
            LocalRegistry.Pushed v9 =
                    registry.pushImage(path, "v9", ("nine " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8));
            LocalRegistry.Pushed v10 =
                    registry.pushImage(path, "v10", ("ten " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8));
            custody.run("trust", "sign", repo + ":v10").ok();
            custody.run("trust", "sign", repo + ":v9").ok();
            custody.run("trust", "sign", repo + ":v1").ok();

            Run pretty = docker("trust", "inspect", "--pretty", repo);
            assertThat(pretty.status()).as(pretty.err()).isZero();
            assertThat(pretty.out())
                    .containsPattern("(?m)^v1 +" + image.sha256Hex() + " +ben, jeff$")
                    .containsPattern(
                            "(?m)^v9 +" + v9.sha256Hex() + " +ben, jeff\nv10 +" + v10.sha256Hex() + " +ben, jeff$")
                    .containsPattern("(?m)^ben +[0-9a-f]{12}\njeff +[0-9a-f]{12}$");
            assertThat(custody.run("trust", "inspect", "--pretty", repo).ok().out())
                    .isEqualTo(pretty.out());
            for (String name : List.of(repo, repo + ":v9")) {
                Run json = docker("trust", "inspect", name);
                assertThat(json.status()).as(json.err()).isZero();
                assertThat(json.out()).containsPattern("\"Signers\": \\[\\s+\"(ben|jeff)\",\\s+\"(ben|jeff)\"\\s+]");
                assertThat(custody.run("trust", "inspect", name).ok().out()).isEqualTo(json.out());
            }
            Run both = docker("trust", "inspect", "--pretty", repo + ":v1", repo + ":v10");
            assertThat(both.status()).as(both.err()).isZero();
            assertThat(custody.run("trust", "inspect", "--pretty", repo + ":v1", repo + ":v10")
                            .ok()
                            .out())
                    .isEqualTo(both.out());
        });
    }

    record Run(int status, String out, String err) {}

    /** The real docker CLI, no engine: its trust config in a temp DOCKER_CONFIG, the TLS notary-server. */
    static Run docker(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add("docker");
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("DOCKER_"));
        pb.environment().put("DOCKER_CONFIG", dockerConfig.toString());
        pb.environment().put("DOCKER_CONTENT_TRUST_SERVER", server.url());
        pb.environment().put("DOCKER_HOST", "unix://" + dir.resolve("no-engine.sock"));
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = Custody.read(p.getInputStream());
        CompletableFuture<String> err = Custody.read(p.getErrorStream());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("docker " + String.join(" ", args) + " did not finish in 60 s");
        }
        return new Run(p.exitValue(), out.join(), err.join());
    }
}
