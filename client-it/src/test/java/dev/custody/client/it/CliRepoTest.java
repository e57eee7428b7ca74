package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.testhsm.Closeables;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryServer;
import dev.custody.testhsm.OpenSsl;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notary commands end to end: bin/custody → custodyd (keys + repo extensions, SoftHSM2) → a real
 * notary-server 0.7; what custody publishes is read back with the real notary CLI.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliRepoTest {
    @TempDir
    static Path dir;

    static NotaryServer server;
    static DaemonFixture daemon;
    static Custody custody;
    static NotaryCli notary;
    static final String GUN =
            "example.com/scripts/" + UUID.randomUUID().toString().substring(0, 8);
    static Path file;
    static String sha;

    @BeforeAll
    static void start() throws Exception {
        server = NotaryServer.startHttp(Files.createDirectories(dir.resolve("notary-server")));
        daemon = new DaemonFixture(dir.resolve("d"), server.url());
        custody = new Custody(daemon.socket, dir.resolve("cds"));
        notary = NotaryCli.create(Files.createDirectories(dir.resolve("notary-trust")), server);
        file = Files.writeString(dir.resolve("install.sh"), "#!/bin/sh\necho hello\n");
        sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        custody.unlock("main");
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(daemon, server);
    }

    /**
     * {@code --batch} input: {@code n} lines {@code PREFIX-I.tgz SIZE SHA256}, the size 100 + i, the digest that of
     * {@code SEED + i}.
     */
    private static String batchLines(String prefix, int n, String seed) throws Exception {
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < n; i++) {
            in.append(prefix)
                    .append('-')
                    .append(i)
                    .append(".tgz ")
                    .append(100 + i)
                    .append(' ')
                    .append(HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256")
                                    .digest((seed + i).getBytes(StandardCharsets.UTF_8))))
                    .append('\n');
        }
        return in.toString();
    }

    @Test
    @Order(1)
    void init_publish() throws Exception {
        Custody.Result r = custody.run("init", GUN, "-p").ok();
        assertThat(r.out())
                .startsWith("Root key found, using: ")
                .contains("Successfully published changes for repository " + GUN);
        String keys = custody.run("key", "list").ok().out();
        String shown = GUN.length() > 25 ? "..." + GUN.substring(GUN.length() - 22) : GUN; // notary's 25-column GUN
        assertThat(keys)
                .containsPattern("(?m)^root ")
                .containsPattern("(?m)^targets +\\Q" + shown + "\\E +[0-9a-f]{64}" + " {4}main \\(serial ");
    }

    @Test
    @Order(2)
    void add_publish_listedByCustodyAndByRealNotary() throws Exception {
        assertThat(custody.run("add", GUN, "install.sh", file.toString(), "-p")
                        .ok()
                        .out())
                .isEqualTo("Addition of target \"install.sh\" to repository \"" + GUN + "\" staged for next publish.\n"
                        + "Auto-publishing changes to " + GUN + "\nSuccessfully published changes for repository " + GUN
                        + "\n");
        long size = Files.size(file);
        assertThat(custody.run("list", GUN).ok().out())
                .isEqualTo("NAME          DIGEST" + " ".repeat(62)
                        + "SIZE (BYTES)    ROLE\n----          ------" + " ".repeat(62) + "------------    ----\n"
                        + "install.sh    " + sha + "    " + size
                        + " ".repeat(16 - String.valueOf(size).length()) + "targets\n");
        String theirs = notary.ok("list", GUN);
        assertThat(theirs).contains("install.sh").contains(sha);
        assertThat(custody.run("lookup", GUN, "install.sh").ok().out())
                .isEqualTo("install.sh sha256:" + sha + " " + size + "\n");
    }

    @Test
    @Order(3)
    void addhash_status_publish() throws Exception {
        String h = "a".repeat(64);
        custody.run("addhash", GUN, "tool", "1374", "--sha256", h).ok();
        assertThat(custody.run("status", GUN).ok().out())
                .isEqualTo("Unpublished changes for " + GUN + ":\n\n"
                        + "#    ACTION    SCOPE      TYPE      PATH\n-    ------    -----      ----      ----\n"
                        + "0    create    targets    target    tool\n");
        // the daemon-wide status shows the token, no approval waiting, and this repository's staged change
        String status = custody.run("status").ok().out();
        assertThat(status)
                .containsPattern("(?m)^main +yes +unlocked")
                .contains("\nWaiting for approval: 0\n")
                .containsPattern("(?m)^" + java.util.regex.Pattern.quote(GUN) + " +1 *$");
        assertThat(custody.run("publish", GUN).ok().out())
                .isEqualTo(
                        "Pushing changes to " + GUN + "\nSuccessfully published changes for repository " + GUN + "\n");
        assertThat(custody.run("status", GUN).ok().out()).isEqualTo("No unpublished changes for " + GUN + "\n");
        assertThat(notary.ok("list", GUN)).contains("tool").contains(h).contains("1374");
    }

    @Test
    @Order(4)
    void verify_matchesAndMismatches() throws Exception {
        Custody.Result ok = custody.runWithInput(Files.readString(file), "verify", GUN, "install.sh")
                .ok();
        assertThat(ok.out()).isEqualTo(Files.readString(file));
        Custody.Result bad = custody.runWithInput("tampered\n", "verify", GUN, "install.sh");
        assertThat(bad.status()).isEqualTo(1);
        assertThat(bad.err()).startsWith("custody: data not present in the trusted collection");
        assertThat(bad.out()).as("nothing of the mismatching content is echoed").isEmpty();
    }

    @Test
    @Order(5)
    void batch_fromStdin() throws Exception {
        String in = batchLines("pkg", 50, "p");
        custody.runWithInput(in, "add", GUN, "--batch", "-", "-p").ok();
        assertThat(notary.ok("list", GUN)).contains("pkg-0.tgz").contains("pkg-49.tgz");
    }

    @Test
    @Order(5)
    void batch_moreThanOnePart_stagedAndPublishedAsOne() throws Exception {
        // 4,100 lines: three repo.addBatch parts of at most 2,000, one staging transaction (a GUN of its own)
        String gun = GUN + "-batch";
        custody.run("init", gun, "-p").ok();
        String in = batchLines("many", 4100, "m");
        Custody.Result r =
                custody.runWithInput(in, "add", gun, "--batch", "-", "-p").ok();
        assertThat(r.out()).contains("Addition of 4100 targets").contains("Successfully published");
        assertThat(notary.ok("list", gun))
                .contains("many-0.tgz")
                .contains("many-2000.tgz")
                .contains("many-4099.tgz");
        assertThat(custody.run("status", gun).ok().out()).contains("No unpublished changes");
    }

    @Test
    @Order(6)
    void remove_thenGoneForNotaryToo() throws Exception {
        custody.run("remove", GUN, "tool", "-p").ok();
        assertThat(notary.ok("list", GUN)).doesNotContain("tool ");
        Custody.Result r = custody.run("lookup", GUN, "tool");
        assertThat(r.status()).isEqualTo(4);
    }

    @Test
    @Order(7)
    void rotateTargets_thenSnapshotToServer_notaryStillLists() throws Exception {
        assertThat(custody.run("key", "rotate", GUN, "targets").ok().out())
                .startsWith("Successfully rotated targets key" + " for repository " + GUN);
        assertThat(custody.run("key", "rotate", GUN, "snapshot", "-r").ok().out())
                .startsWith("Successfully rotated snapshot key for repository " + GUN + ": new key held by the server");
        assertThat(notary.ok("list", GUN)).contains("install.sh");
    }

    @Test
    @Order(8)
    void unknownGun_notFound_oneLine() throws Exception {
        Custody.Result r = custody.run("list", "example.com/nobody/" + UUID.randomUUID());
        assertThat(r.status()).as(r.err()).isIn(4, 1);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).startsWith("custody: ");
    }

    @Test
    @Order(9)
    void delegation_addListPublishAsTheDelegation_likeTheSeedLab() throws Exception {
        Path key = dir.resolve("releases.key");
        Path cert = dir.resolve("releases.crt");
        OpenSsl.selfSignedP256(key, cert, "/CN=releases", 365);
        Custody.Result add = custody.run(
                        "delegation", "add", GUN, "targets/releases", cert.toString(), "--all-paths", "-p")
                .ok();
        assertThat(add.out())
                .startsWith("\nAddition of delegation role targets/releases with keys [")
                .contains("with paths [\"\" <all paths>], to repository \"" + GUN + "\" staged for next publish.\n\n");
        String ours = custody.run("delegation", "list", GUN).ok().out();
        String theirs = notary.ok("delegation", "list", GUN);
        // Same table as notary's; the key ID column is compared apart: custodyd's delegation.list reports
        // another ID for the certificate than the one notary reads from targets.json (daemon-side, reported).
        assertThat(ours.replaceAll("[0-9a-f]{64}", "KEYID")).isEqualTo(theirs.replaceAll("[0-9a-f]{64}", "KEYID"));
        // the delegation's private key goes onto the token; then publish as the delegation
        custody.run("key", "import", key.toString(), "--role", "targets/releases", "--token", "main")
                .ok();
        custody.run("add", GUN, "release.sh", file.toString(), "-r", "targets/releases", "-p")
                .ok();
        assertThat(notary.ok("list", GUN, "-r", "targets/releases"))
                .contains("release.sh")
                .contains(sha);
        assertThat(custody.run("list", GUN, "-r", "targets/releases").ok().out())
                .contains("release.sh")
                .contains("targets/releases");
    }

    @Test
    @Order(10)
    void trustInspect_prettyAndJson_overTheSameRepository() throws Exception {
        String pretty = custody.run("trust", "inspect", "--pretty", GUN).ok().out();
        assertThat(pretty)
                .startsWith("\nSignatures for " + GUN + "\n\nSIGNED TAG   DIGEST")
                // signed into targets/releases only: docker names no delegation signer, it shows "(Repo Admin)"
                .containsPattern("(?m)^release\\.sh {3}" + sha + "   \\(Repo Admin\\)$")
                .contains("\nAdministrative keys for " + GUN + "\n\n  Repository Key:\t");
        String json = custody.run("trust", "inspect", GUN + ":release.sh").ok().out();
        assertThat(json)
                .startsWith("[\n    {\n        \"Name\": \"" + GUN + ":release.sh\",\n        \"SignedTags\": [\n");
        Custody.Result none = custody.run("trust", "inspect", "example.com/nobody/none");
        assertThat(none.status()).isEqualTo(1);
    }

    @Test
    @Order(11)
    void add_withoutPublish_stagesSizeAndDigestsComputedLocally() throws Exception {
        Path f = Files.writeString(dir.resolve("local.txt"), "hello\n");
        assertThat(custody.run("add", GUN, "local.txt", f.toString()).ok().out())
                .isEqualTo("Addition of target" + " \"local.txt\" to repository \"" + GUN
                        + "\" staged for next publish.\n");
        assertThat(custody.run("status", GUN).ok().out()).contains("0    create    targets    target    local.txt\n");
        assertThat(notary.ok("list", GUN)).doesNotContain("local.txt");
        custody.run("publish", GUN).ok();
        // the size and both digests were computed by the CLI from the file: targets.json on the server has them
        JsonNode meta = new ObjectMapper()
                .readTree(java.net
                        .URI
                        .create(server.url() + "/v2/" + GUN + "/_trust/tuf/targets.json")
                        .toURL()
                        .openStream())
                .path("signed")
                .path("targets")
                .path("local.txt");
        assertThat(meta.path("length").asLong()).isEqualTo(6);
        assertThat(meta.path("hashes").path("sha256").asText())
                .isEqualTo(java.util.Base64.getEncoder()
                        .encodeToString(MessageDigest.getInstance("SHA-256")
                                .digest("hello\n".getBytes(StandardCharsets.UTF_8))));
        assertThat(meta.path("hashes").path("sha512").asText())
                .isEqualTo(java.util.Base64.getEncoder()
                        .encodeToString(MessageDigest.getInstance("SHA-512")
                                .digest("hello\n".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    @Order(12)
    void add_withRoleAndPublish_printsNotaryLines() throws Exception {
        Custody.Result r = custody.run("add", GUN, "rel2.sh", file.toString(), "-r", "targets/releases", "-p")
                .ok();
        assertThat(r.out())
                .isEqualTo("Addition of target \"rel2.sh\" by role targets/releases to repository \"" + GUN
                        + "\" staged for next publish.\nAuto-publishing changes to " + GUN
                        + "\nSuccessfully published changes for repository " + GUN + "\n");
        assertThat(notary.ok("list", GUN, "-r", "targets/releases")).contains("rel2.sh");
    }

    @Test
    @Order(13)
    void addBatch_commentsBlankLinesTabsAndUpperCaseDigests_oneBatch() throws Exception {
        String h1 = HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest("b1".getBytes(StandardCharsets.UTF_8)));
        String h2 = HexFormat.of()
                .formatHex(MessageDigest.getInstance("SHA-256").digest("b2".getBytes(StandardCharsets.UTF_8)));
        String in = "# artifacts\nb1.tgz 6 " + h1 + "\n\nb2.tgz\t7\t" + h2.toUpperCase() + "\n";
        Custody.Result r = custody.runWithInput(in, "add", GUN, "--batch", "-", "-r", "targets/releases", "-p")
                .ok();
        assertThat(r.out()).startsWith("Addition of 2 targets by role targets/releases to repository");
        JsonNode list = new ObjectMapper()
                .readTree(custody.run("list", GUN, "-r", "targets/releases", "-o", "json")
                        .ok()
                        .out())
                .path("targets");
        java.util.Map<String, String> got = new java.util.TreeMap<>();
        list.forEach(t -> got.put(
                t.path("name").asText(),
                t.path("length").asLong() + " " + t.path("sha256").asText()));
        assertThat(got).containsEntry("b1.tgz", "6 " + h1).containsEntry("b2.tgz", "7 " + h2);
    }

    @Test
    @Order(14)
    void addhash_publish_listedByNotary() throws Exception {
        String h = "c".repeat(64);
        assertThat(custody.run("addhash", GUN, "catalog", "6", "--sha256", h, "-p")
                        .ok()
                        .out())
                .endsWith("Successfully published changes for repository " + GUN + "\n");
        assertThat(notary.ok("list", GUN)).containsPattern("catalog +" + h + " +6 +targets");
    }

    @Test
    @Order(15)
    void list_json_isTheStableSchema() throws Exception {
        String out = custody.run("list", GUN, "-o", "json").ok().out();
        assertThat(out).startsWith("{\n  \"gun\": \"" + GUN + "\",\n  \"targets\": [\n    {\n      \"name\": \"");
        JsonNode j = new ObjectMapper().readTree(out);
        assertThat(j.path("targets"))
                .isNotEmpty()
                .allSatisfy(t -> assertThat(ImmutableFields.of(t)).containsExactly("name", "sha256", "length", "role"));
        JsonNode install = null;
        for (JsonNode t : j.path("targets")) {
            if (t.path("name").asText().equals("install.sh")) {
                install = t;
            }
        }
        assertThat(install).isNotNull();
        assertThat(install.path("sha256").asText()).isEqualTo(sha);
        assertThat(install.path("length").asLong()).isEqualTo(Files.size(file));
        assertThat(install.path("role").asText()).isEqualTo("targets");
    }

    /**
     * Issue #11 property 4: a CI runner's parallel jobs of one uid wait, they do not fail. 16 loops of
     * {@code custody addhash} at once (each a JVM and a connection); custodyd queues what is beyond
     * limits.maxInFlightPerCaller instead of answering BUSY, and the CLI would retry a BUSY anyway.
     * Every run exits 0 and every target is staged. (With maxInFlightPerCaller 4 and no queue, as before,
     * runs exited 9.)
     */
    @Test
    @Order(16)
    void addhash_sixteenParallelLoops_noFailures() throws Exception {
        int loops = 16;
        int each = 2;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(loops);
        try {
            java.util.List<java.util.concurrent.Future<java.util.List<Custody.Result>>> jobs =
                    new java.util.ArrayList<>();
            for (int l = 0; l < loops; l++) {
                int loop = l;
                jobs.add(pool.submit(() -> {
                    java.util.List<Custody.Result> rs = new java.util.ArrayList<>();
                    for (int i = 0; i < each; i++) {
                        rs.add(custody.run(
                                "addhash",
                                GUN,
                                "ci/job-" + loop + "-" + i,
                                "10",
                                "--sha256",
                                String.format("%064x", loop * 100 + i)));
                    }
                    return rs;
                }));
            }
            int failures = 0;
            StringBuilder why = new StringBuilder();
            for (var j : jobs) {
                for (Custody.Result r : j.get(5, java.util.concurrent.TimeUnit.MINUTES)) {
                    if (r.status() != 0) {
                        failures++;
                        why.append(r.status()).append(": ").append(r.err()).append('\n');
                    }
                }
            }
            assertThat(failures).as("failed addhash runs:\n%s", why).isZero();
        } finally {
            pool.shutdownNow();
        }
        String status = custody.run("status", GUN).ok().out();
        for (int l = 0; l < loops; l++) {
            for (int i = 0; i < each; i++) {
                assertThat(status).contains("ci/job-" + l + "-" + i);
            }
        }
        custody.run("reset", GUN, "--all").ok();
    }

    /** The field names of a JSON object, in order. */
    private static final class ImmutableFields {
        static java.util.List<String> of(JsonNode o) {
            java.util.List<String> names = new java.util.ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            return names;
        }
    }
}
