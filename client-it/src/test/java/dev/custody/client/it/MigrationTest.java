package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.testhsm.Closeables;
import dev.custody.testhsm.LogCapture;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryServer;
import dev.custody.testhsm.OpenSsl;
import dev.custody.testhsm.SoftHsm;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.interfaces.ECPrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7, migration: a repository made by the real notary CLI (its own root, targets and snapshot keys,
 * encrypted in its trust_dir, a target, a delegation with a target) is taken over by custodyd. The whole
 * trust_dir is imported with {@code custody key import DIR} — the root key onto one token, the repository
 * keys onto another, passphrases from notary's own variables — then {@code custody adopt} trusts the
 * server's root because the root key on the token signed it, custodyd adds and publishes targets, rotates
 * the targets key, and a fresh notary client lists everything. notary's trust_dir is left as it was.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MigrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Distinctive, so a leak into output, state or audit is found by searching for them. */
    private static final String ROOT_PASS = "root-Pass-5150f1";

    private static final String REPO_PASS = "repo-Pass-77a3c2";
    private static final String DELEGATION_PASS = "deleg-Pass-9e04b7";
    static final String GUN =
            "example.com/migrate/" + UUID.randomUUID().toString().substring(0, 8);

    @TempDir
    static Path dir;

    static NotaryServer server;
    static NotaryCli notary;
    static DaemonFixture daemon;
    static Custody custody;
    static Path file;
    static Map<Path, String> trustDirBefore;
    /** The notary keys as notary reports them: role → key ID (the file name in private/). */
    static final Map<String, String> notaryKeyIds = new LinkedHashMap<>();
    /** Everything custodyd (in this JVM) logs, searched for secrets at the end. */
    static LogCapture log;

    @BeforeAll
    static void start() throws Exception {
        log = LogCapture.start();
        server = NotaryServer.startHttp(Files.createDirectories(dir.resolve("notary-server")));
        notary = NotaryCli.create(Files.createDirectories(dir.resolve("notary-trust")), server)
                .passphrase("root", ROOT_PASS)
                .passphrase("targets", REPO_PASS)
                .passphrase("snapshot", REPO_PASS)
                .passphrase("delegation", DELEGATION_PASS);
        daemon = new DaemonFixture(dir.resolve("d"), server.url(), null, true, List.of("root-1", "repo-1"));
        custody = new Custody(daemon.socket, dir.resolve("cds"));
        file = Files.writeString(dir.resolve("app.tar"), "the release\n");
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(log, daemon, server);
    }

    @Test
    @Order(1)
    void notaryMakesTheRepository_withADelegation() throws Exception {
        notary.ok("init", GUN);
        notary.ok("add", GUN, "v1", file.toString());
        notary.ok("publish", GUN);
        Path relKey = dir.resolve("releases.key");
        Path relCert = dir.resolve("releases.crt");
        OpenSsl.selfSignedP256(relKey, relCert, "/CN=releases", 365);
        notary.ok("key", "import", relKey.toString(), "--role", "targets/releases");
        Files.delete(relKey); // from here on the delegation key lives in notary's trust_dir only, encrypted
        notary.ok("delegation", "add", GUN, "targets/releases", relCert.toString(), "--all-paths");
        notary.ok("publish", GUN);
        notary.ok("add", GUN, "rel1", file.toString(), "--roles", "targets/releases");
        notary.ok("publish", GUN);

        for (String line : notary.ok("key", "list").lines().toList()) {
            String[] cols = line.strip().split("\\s+");
            if (cols.length >= 3 && cols[cols.length - 2].matches("[0-9a-f]{64}")) {
                notaryKeyIds.put(cols[0], cols[cols.length - 2]);
            }
        }
        assertThat(notaryKeyIds).containsOnlyKeys("root", "targets", "snapshot", "targets/releases");
        trustDirBefore = snapshot(notary.trustDir().resolve("private"));
        assertThat(trustDirBefore).hasSize(4);
        assertThat(trustDirBefore.values())
                .allSatisfy(pem -> assertThat(pem).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    }

    @Test
    @Order(2)
    void keyImport_ofTheWholeTrustDir_rootOntoOneToken_repositoryKeysOntoAnother() throws Exception {
        custody.unlock("root-1", "repo-1");
        Custody.Result r = custodyWithNotaryPassphrases()
                .run("key", "import", notary.trustDir().toString(), "--root-token", "root-1", "--token", "repo-1")
                .ok();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.stream().filter(l -> l.startsWith("Imported "))).hasSize(4);
        assertThat(r.out())
                .containsPattern("(?m)^Imported root key [0-9a-f]{64} from \\S+ onto root-1 \\(serial ")
                .containsPattern("(?m)^Imported targets key [0-9a-f]{64} from \\S+ onto repo-1 \\(serial ")
                .containsPattern("(?m)^Imported snapshot key [0-9a-f]{64} from \\S+ onto repo-1 \\(serial ")
                .containsPattern("(?m)^Imported targets/releases key [0-9a-f]{64} from \\S+ onto repo-1 \\(serial ");
        assertThat(lines.get(lines.size() - 1))
                .contains("delete " + notary.trustDir())
                .contains("yourself");
        assertThat(r.out() + r.err())
                .doesNotContain(ROOT_PASS)
                .doesNotContain(REPO_PASS)
                .doesNotContain(DELEGATION_PASS);

        JsonNode keys = JSON.readTree(
                        custody.run("key", "list", "-o", "json").ok().out())
                .path("keys");
        Map<String, String> tokenOfRole = new LinkedHashMap<>();
        keys.forEach(
                k -> tokenOfRole.put(k.path("role").asText(), k.path("token").asText()));
        assertThat(tokenOfRole)
                .containsEntry("root", "root-1")
                .containsEntry("targets", "repo-1")
                .containsEntry("snapshot", "repo-1")
                .containsEntry("targets/releases", "repo-1");
        // our key IDs are notary's: notary names keys by the same TUF key ID
        assertThat(keys.findValuesAsText("keyId")).containsExactlyInAnyOrderElementsOf(notaryKeyIds.values());

        // a re-run imports nothing twice (an interrupted import is finished this way)
        Custody.Result again = custodyWithNotaryPassphrases()
                .run("key", "import", notary.trustDir().toString(), "--root-token", "root-1", "--token", "repo-1")
                .ok();
        assertThat(again.out().lines().filter(l -> l.startsWith("Skipped "))).hasSize(4);
        assertThat(again.out()).doesNotContain("Imported ");
    }

    @Test
    @Order(3)
    void keyImport_wrongPassphrase_oneClearLine_nothingLost() throws Exception {
        String wrong = "not-the-root-pass-31337";
        Custody.Result r = custodyWithNotaryPassphrases()
                .env("NOTARY_ROOT_PASSPHRASE", wrong)
                .run(
                        "key",
                        "import",
                        notary.trustDir().resolve("private").toString(),
                        "--root-token",
                        "root-1",
                        "--token",
                        "repo-1");
        assertThat(r.status()).as(r.err()).isEqualTo(1);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err())
                .startsWith("custody: ")
                .contains(notaryKeyIds.get("root") + ".key")
                .contains("wrong passphrase")
                .contains("$NOTARY_ROOT_PASSPHRASE")
                .doesNotContain(wrong);
        // and one key file piped in on stdin: the passphrase from --passphrase-stdin
        Path targetsKey = notary.trustDir().resolve("private/" + notaryKeyIds.get("targets") + ".key");
        Custody.Result one = custody.runWithInput(
                        REPO_PASS + "\n",
                        "key",
                        "import",
                        targetsKey.toString(),
                        "--passphrase-stdin",
                        "--token",
                        "repo-1")
                .ok();
        assertThat(one.out())
                .startsWith("Skipped " + targetsKey + ": key " + notaryKeyIds.get("targets")
                        + " is already on repo-1 (serial ");
    }

    @Test
    @Order(4)
    void theImportedKeysAreSensitiveAndNotExtractable_onTheirTokens() throws Exception {
        String root = pkcs11ToolPrivateKeys(daemon.extraTokens.get("root-1"));
        String repo = pkcs11ToolPrivateKeys(daemon.extraTokens.get("repo-1"));
        assertKeyBlock(root, notaryKeyIds.get("root"));
        for (String role : List.of("targets", "snapshot", "targets/releases")) {
            assertKeyBlock(repo, notaryKeyIds.get(role));
        }
        assertThat(root).doesNotContain(notaryKeyIds.get("targets"));
        assertThat(repo).doesNotContain(notaryKeyIds.get("root"));
    }

    @Test
    @Order(5)
    void adopt_trustsTheServersRootBecauseOurRootKeySignedIt() throws Exception {
        Path f2 = Files.writeString(dir.resolve("app2.tar"), "the next release\n");
        Custody.Result before = custody.run("add", GUN, "v2", f2.toString());
        assertThat(before.status()).as("not trusted yet: " + before.err()).isEqualTo(4);
        assertThat(before.err()).contains("not known here");

        Custody.Result wrongAnchor = custody.run("adopt", GUN, "--root-key-id", "ab".repeat(32));
        assertThat(wrongAnchor.status()).as(wrongAnchor.err()).isEqualTo(6);
        assertThat(wrongAnchor.err().lines()).hasSize(1);
        assertThat(wrongAnchor.err()).contains("nothing was trusted");
        assertThat(custody.run("add", GUN, "v2", f2.toString()).status()).isEqualTo(4);

        Custody.Result adopted = custody.run("adopt", GUN).ok();
        assertThat(adopted.out())
                .startsWith("Adopted " + GUN + " at root version 1: its root is signed by root key "
                        + notaryKeyIds.get("root") + "\n");
        assertThat(adopted.out())
                .containsPattern("(?m)^root +1 +1$")
                .containsPattern("(?m)^targets +1 +1$")
                .containsPattern("(?m)^snapshot +1 +1$")
                .containsPattern("(?m)^timestamp +1 +0$")
                .containsPattern("(?m)^targets/releases +1 +1$");
        Custody.Result twice = custody.run("adopt", GUN);
        assertThat(twice.status()).isEqualTo(7);
        assertThat(custody.run("list", GUN).ok().out()).contains("v1 ").contains("rel1 ");

        custody.run("add", GUN, "v2", f2.toString(), "-p").ok();
        custody.run("add", GUN, "rel2", f2.toString(), "-r", "targets/releases", "-p")
                .ok();
        String theirs = freshNotary().ok("list", GUN);
        assertThat(theirs)
                .contains("v1 ")
                .contains("v2 ")
                .contains("rel1 ")
                .contains("rel2 ")
                .contains(sha(f2));
    }

    @Test
    @Order(6)
    void rotateTargets_withKeysOnTokens_thenPublish_freshNotaryListsEverything() throws Exception {
        // the new targets key is generated on repo-1; the root key on root-1 signs root v2
        Custody.Result rot = custody.run("key", "rotate", GUN, "targets", "--token", "repo-1")
                .ok();
        assertThat(rot.out())
                .startsWith("Successfully rotated targets key for repository " + GUN)
                .contains("(root version 2)");
        JsonNode keys = JSON.readTree(
                        custody.run("key", "list", "-o", "json").ok().out())
                .path("keys");
        String newTargets = rot.out().replaceAll("(?s).*new key ([0-9a-f]{64}).*", "$1");
        assertThat(newTargets).isNotEqualTo(notaryKeyIds.get("targets")).matches("[0-9a-f]{64}");
        assertThat(keys)
                .anySatisfy(k -> assertThat(
                                k.path("keyId").asText() + " " + k.path("token").asText())
                        .isEqualTo(newTargets + " repo-1"));
        Path f3 = Files.writeString(dir.resolve("app3.tar"), "after the rotation\n");
        custody.run("add", GUN, "v3", f3.toString(), "-p").ok();
        String theirs = freshNotary().ok("list", GUN);
        assertThat(theirs)
                .contains("v1 ")
                .contains("v2 ")
                .contains("v3 ")
                .contains("rel1 ")
                .contains("rel2 ")
                .contains(sha(f3));
        // notary's own client, with its cached root v1, follows the rotation too
        assertThat(notary.ok("list", GUN)).contains("v3 ");
    }

    @Test
    @Order(7)
    void notarysTrustDirIsUntouched_andNothingSecretReachedCustodydsStateOrAudit() throws Exception {
        assertThat(snapshot(notary.trustDir().resolve("private"))).isEqualTo(trustDirBefore);

        List<String> secrets = new ArrayList<>(List.of(ROOT_PASS, REPO_PASS, DELEGATION_PASS));
        for (String pem : trustDirBefore.values()) {
            // the encrypted PEM body, line by line, and the decrypted key (PKCS#8 DER and the private scalar)
            pem.lines().filter(l -> l.length() >= 40 && !l.startsWith("-----")).forEach(secrets::add);
            String pass = pem.contains("role: root")
                    ? ROOT_PASS
                    : pem.contains("role: targets/") ? DELEGATION_PASS : REPO_PASS;
            PrivateKeyInfo info = decrypt(pem, pass);
            secrets.add(Base64.getEncoder().encodeToString(info.getEncoded()));
            ECPrivateKey k = (ECPrivateKey) new JcaPEMKeyConverter().getPrivateKey(info);
            byte[] s = k.getS().toByteArray();
            secrets.add(HexFormat.of().formatHex(s, s.length - 32, s.length));
            secrets.add(Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(s, s.length - 32, s.length)));
        }
        List<Path> files;
        try (Stream<Path> w = Files.walk(daemon.dir)) {
            files = w.filter(Files::isRegularFile).toList();
        }
        assertThat(files)
                .as("the search below covers the state, the audit log and the inventory")
                .anyMatch(p -> p.endsWith("audit.log"))
                .anyMatch(p -> p.endsWith("keys.json"));
        for (Path f : files) {
            String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
            for (String secret : secrets) {
                assertThat(content)
                        .as("%s holds a secret of the migrated keys", f)
                        .doesNotContain(secret);
            }
        }
        assertThat(log.lines())
                .as("custodyd logged (so the search below means something)")
                .isNotEmpty();
        String logged = log.text();
        for (String secret : secrets) {
            assertThat(logged)
                    .as("custodyd's log holds a secret of the migrated keys")
                    .doesNotContain(secret);
        }
        assertThat(custody.run("audit", "verify").ok().out()).startsWith("Audit log intact: ");
    }

    // ---- helpers

    private static Custody custodyWithNotaryPassphrases() {
        return new Custody(daemon.socket, dir.resolve("cds"))
                .env("NOTARY_ROOT_PASSPHRASE", ROOT_PASS)
                .env("NOTARY_TARGETS_PASSPHRASE", REPO_PASS)
                .env("NOTARY_SNAPSHOT_PASSPHRASE", REPO_PASS)
                .env("NOTARY_DELEGATION_PASSPHRASE", DELEGATION_PASS);
    }

    /** A notary client that has never seen the repository and holds no keys. */
    private static NotaryCli freshNotary() throws Exception {
        return NotaryCli.create(Files.createTempDirectory(dir, "notary-fresh-"), server);
    }

    private static Map<Path, String> snapshot(Path d) throws Exception {
        Map<Path, String> out = new LinkedHashMap<>();
        try (Stream<Path> w = Files.walk(d)) {
            for (Path f : w.filter(Files::isRegularFile).sorted().toList()) {
                out.put(f, Files.readString(f, StandardCharsets.US_ASCII));
            }
        }
        return out;
    }

    private static String sha(Path f) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }

    private static PrivateKeyInfo decrypt(String pem, String pass) throws Exception {
        try (PemReader r = new PemReader(new StringReader(pem))) {
            PemObject o = r.readPemObject();
            return new PKCS8EncryptedPrivateKeyInfo(o.getContent())
                    .decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder()
                            .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
                            .build(pass.toCharArray()));
        }
    }

    /**
     * {@code pkcs11-tool --list-objects --type privkey} on a token, an independent witness of what is
     * there. The PIN goes through the environment ({@code --pin env:NAME}), never the command line.
     */
    private static String pkcs11ToolPrivateKeys(SoftHsm.Token token) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(
                        "pkcs11-tool",
                        "--module",
                        SoftHsm.MODULE.toString(),
                        "--token-label",
                        token.label(),
                        "--login",
                        "--pin",
                        "env:CUSTODY_TEST_PIN",
                        "--list-objects",
                        "--type",
                        "privkey")
                .redirectErrorStream(true);
        pb.environment().putAll(SoftHsm.forThisProcess().env());
        pb.environment().put("CUSTODY_TEST_PIN", DaemonFixture.PIN);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as(out)
                .isTrue();
        return out;
    }

    /** The key with CKA_ID = its TUF key ID is there, sensitive and not extractable. */
    private static void assertKeyBlock(String listing, String keyId) {
        String block = java.util.Arrays.stream(listing.split("\n(?=\\S)"))
                .filter(b -> b.startsWith("Private Key Object") && b.contains("ID:         " + keyId))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no private key with ID " + keyId + " in:\n" + listing));
        String access = block.lines()
                .filter(l -> l.strip().startsWith("Access:"))
                .findFirst()
                .orElseThrow();
        assertThat(access).contains("sensitive").doesNotContainPattern("(?<!never )extractable");
    }
}
