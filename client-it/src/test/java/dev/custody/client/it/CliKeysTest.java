package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokens and keys end to end: bin/custody → custodyd (keys extension) → SoftHSM2, in the order an
 * operator goes: see the token, unlock it, generate a key, import one made by the real notary CLI,
 * list, remove, lock.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CliKeysTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static DaemonFixture daemon;
    static Custody custody;
    static String rootKeyId;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonFixture(dir.resolve("d"));
        custody = new Custody(daemon.socket, dir.resolve("cds"));
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
    }

    @Test
    @Order(1)
    void tokenList_showsTheLockedToken() throws Exception {
        String out = custody.run("token", "list").ok().out();
        assertThat(out).startsWith("\nNAME    LABEL    ").contains("main    " + daemon.token.label());
        assertThat(out.lines().filter(l -> l.startsWith("main ")).findFirst().orElseThrow())
                .contains(" yes ")
                .contains(" locked ");
        JsonNode j =
                JSON.readTree(custody.run("token", "list", "-o", "json").ok().out());
        assertThat(j.path("tokens").get(0).path("name").asText()).isEqualTo("main");
        assertThat(j.path("tokens").get(0).path("unlocked").asBoolean()).isFalse();
    }

    @Test
    @Order(2)
    void keyGenerate_beforeUnlock_pinRequired_exit21() throws Exception {
        Custody.Result r = custody.run("key", "generate", "--role", "root", "--token", "main");
        assertThat(r.status()).as(r.err()).isEqualTo(21);
        assertThat(r.err()).startsWith("custody: ").contains("custody token unlock");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    @Order(3)
    void tokenUnlock_wrongPin_exit22_neverEchoed() throws Exception {
        Custody.Result r =
                custody.runWithInput(DaemonFixture.WRONG_PIN + "\n", "token", "unlock", "main", "--pin-stdin");
        assertThat(r.status()).as(r.err()).isEqualTo(22);
        assertThat(r.out() + r.err()).doesNotContain(DaemonFixture.WRONG_PIN);
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    @Order(4)
    void tokenUnlock_pinFromStdin() throws Exception {
        Custody.Result r = custody.runWithInput(DaemonFixture.PIN + "\n", "token", "unlock", "--pin-stdin")
                .ok();
        assertThat(r.out()).startsWith("Token main unlocked until ");
        assertThat(custody.run("token", "list").ok().out()).contains("unlocked until");
        assertThat(Files.readString(daemon.dir.resolve("state/audit.log"))).doesNotContain(DaemonFixture.PIN);
    }

    @Test
    @Order(5)
    void keyGenerate_thenKeyList_likeNotary() throws Exception {
        JsonNode k = JSON.readTree(custody.run("key", "generate", "--role", "root", "--token", "main", "-o", "json")
                .ok()
                .out());
        rootKeyId = k.path("keyId").asText();
        assertThat(rootKeyId).matches("[0-9a-f]{64}");
        String list = custody.run("key", "list").ok().out();
        assertThat(list).startsWith("\nROLE    GUN    KEY ID").endsWith("\n\n");
        assertThat(list)
                .containsPattern("(?m)^root {4,}" + rootKeyId + " {4}main \\(serial " + daemon.token.serial() + "\\)$");
        JsonNode keys = JSON.readTree(
                        custody.run("key", "list", "-o", "json").ok().out())
                .path("keys");
        assertThat(keys.findValuesAsText("keyId")).contains(rootKeyId);
    }

    @Test
    @Order(5)
    void trustKeyGenerate_writesNamePubLikeDocker_andTheKeyIdMatches() throws Exception {
        Path out = Files.createDirectories(daemon.dir.resolve("pubkeys"));
        custody.run("trust", "key", "generate", "jeff", "--dir", out.toString()).ok();
        String pem = Files.readString(out.resolve("jeff.pub"));
        assertThat(pem).startsWith("-----BEGIN PUBLIC KEY-----\nrole: jeff\n\n").endsWith("-----END PUBLIC KEY-----\n");
        String b64 = pem.lines()
                .filter(l -> !l.startsWith("-----") && !l.startsWith("role:") && !l.isEmpty())
                .reduce("", String::concat);
        java.security.PublicKey pub = java.security.KeyFactory.getInstance("EC")
                .generatePublic(new java.security.spec.X509EncodedKeySpec(
                        java.util.Base64.getDecoder().decode(b64)));
        assertThat(pub.getAlgorithm()).isEqualTo("EC");
        // the key behind NAME.pub is on the token: key list shows it under role jeff
        assertThat(custody.run("key", "list").ok().out()).containsPattern("(?m)^jeff +[0-9a-f]{64} +main \\(serial ");
        assertThat(custody.run("trust", "key", "generate", "jeff", "--dir", out.toString())
                        .status())
                .as("an existing NAME.pub is not overwritten")
                .isEqualTo(1);
    }

    @Test
    @Order(6)
    void keyImport_ofARealNotaryKey_movesItOntoTheToken() throws Exception {
        Path trustDir = dir.resolve("notary");
        ProcessBuilder pb = new ProcessBuilder(
                "notary", "-d", trustDir.toString(), "key", "generate", "ecdsa", "--role", "targets/releases");
        pb.environment().put("NOTARY_DELEGATION_PASSPHRASE", "delegation-pass");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        Path keyFile;
        try (var files = Files.list(trustDir.resolve("private"))) {
            keyFile =
                    files.filter(f -> f.toString().endsWith(".key")).findFirst().orElseThrow();
        }
        String notaryKeyId = keyFile.getFileName().toString().replace(".key", "");
        Custody.Result r = custody.runWithInput(
                        "delegation-pass\n",
                        "key",
                        "import",
                        keyFile.toString(),
                        "--token",
                        "main",
                        "--passphrase-stdin")
                .ok();
        assertThat(r.out()).contains("Imported ").contains(" onto main (serial ");
        assertThat(r.out().lines().toList().get(1)).containsIgnoringCase("delete");
        assertThat(Files.exists(keyFile))
                .as("the software copy is left for the user")
                .isTrue();
        assertThat(custody.run("key", "list").ok().out()).contains(notaryKeyId);
    }

    @Test
    @Order(7)
    void keyRemove_thenGone() throws Exception {
        assertThat(custody.run("key", "remove", rootKeyId).ok().out())
                .isEqualTo("Deleted " + rootKeyId + " from its token.\n");
        assertThat(custody.run("key", "list").ok().out()).doesNotContain(rootKeyId);
        Custody.Result again = custody.run("key", "remove", rootKeyId);
        assertThat(again.status()).isEqualTo(4);
    }

    @Test
    @Order(8)
    void auditVerify_andPolicyShow() throws Exception {
        assertThat(custody.run("audit", "verify").ok().out()).startsWith("Audit log intact: ");
        String tail = custody.run("audit", "tail", "-n", "5").ok().out();
        assertThat(tail).startsWith("SEQ ").contains("METHOD").contains("KEY ID");
        // each row names the method and the caller's uid (the test runs as this process's uid)
        String uid = String.valueOf(new com.sun.security.auth.module.UnixSystem().getUid());
        assertThat(tail.lines().skip(2))
                .isNotEmpty()
                .allSatisfy(row -> assertThat(row)
                        .contains(" " + uid + " ")
                        .containsPattern("\\b(key|token|audit|policy|sign)\\.[a-z]+\\b"));
        assertThat(custody.run("policy", "show").ok().out()).startsWith("#    RULE");
    }

    @Test
    @Order(9)
    void tokenLock() throws Exception {
        assertThat(custody.run("token", "lock", "main").ok().out()).isEqualTo("Token main locked\n");
        assertThat(custody.run("token", "list", "-o", "json").ok().out()).contains("\"unlocked\": false");
    }
}
