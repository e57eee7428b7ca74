package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.testhsm.Closeables;
import dev.custody.testhsm.LogCapture;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryServer;
import dev.custody.testhsm.OpenSsl;
import dev.custody.testhsm.piv.PivCard;
import dev.custody.testhsm.piv.RequiresYubikeyEmulator;
import dev.custody.testhsm.piv.YubikeyEmulator;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.ECPrivateKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 7 onto a YubiKey: the root key of a repository made by the real notary CLI is imported with
 * {@code custody key import FILE --token yk1 --slot 9c} onto an emulated YubiKey (real ykcs11, isolated
 * pcscd; IMPORT ASYMMETRIC KEY on the card), the repository keys onto SoftHSM2; {@code custody adopt}
 * trusts the server's root because the YubiKey's key signed it; {@code key rotate GUN targets} re-signs
 * the root on the YubiKey and a fresh notary client follows. Nothing secret reaches state, audit or log.
 */
@RequiresYubikeyEmulator
class CliYubikeyImportTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SERIAL = 10000302;
    private static final String MGM = "5e4d3c2b1a0908175e4d3c2b1a0908175e4d3c2b1a090817";
    private static final String ROOT_PASS = "root-Pass-yk-4c11a0";
    private static final String REPO_PASS = "repo-Pass-yk-90be2d";
    static final String GUN =
            "example.com/ykimport/" + UUID.randomUUID().toString().substring(0, 8);

    @TempDir
    static Path dir;

    static YubikeyEmulator emulator;
    static NotaryServer server;
    static DaemonFixture daemon;
    static Custody custody;
    static NotaryCli notary;
    /** Everything custodyd (in this JVM) logs, searched for secrets at the end. */
    static LogCapture log;

    @BeforeAll
    static void start() throws Exception {
        log = LogCapture.start();
        emulator = EmulatedYubikey.start(SERIAL, MGM);
        server = NotaryServer.startHttp(Files.createDirectories(dir.resolve("notary-server")));
        daemon = new DaemonFixture(dir.resolve("d"), server.url(), null, true, EmulatedYubikey.token(dir, SERIAL, MGM));
        custody = new Custody(daemon.socket, dir.resolve("cds"))
                .env("NOTARY_ROOT_PASSPHRASE", ROOT_PASS)
                .env("NOTARY_TARGETS_PASSPHRASE", REPO_PASS)
                .env("NOTARY_SNAPSHOT_PASSPHRASE", REPO_PASS);
        notary = NotaryCli.create(Files.createDirectories(dir.resolve("notary-trust")), server)
                .passphrase("root", ROOT_PASS)
                .passphrase("targets", REPO_PASS)
                .passphrase("snapshot", REPO_PASS);
        custody.unlock("main");
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(log, daemon, server, emulator);
    }

    @Test
    void notaryRootKey_importedOntoYubikeySlot9c_adopted_rotateTargetsResignsRoot_notaryFollows() throws Exception {
        Path file = Files.writeString(dir.resolve("app.tar"), "the release\n");
        notary.ok("init", GUN);
        notary.ok("add", GUN, "v1", file.toString());
        notary.ok("publish", GUN);
        Map<String, String> ids = new LinkedHashMap<>();
        for (String line : notary.ok("key", "list").lines().toList()) {
            String[] cols = line.strip().split("\\s+");
            if (cols.length >= 3 && cols[cols.length - 2].matches("[0-9a-f]{64}")) {
                ids.put(cols[0], cols[cols.length - 2]);
            }
        }
        assertThat(ids).containsOnlyKeys("root", "targets", "snapshot");
        Path priv = notary.trustDir().resolve("private");
        Map<Path, String> trustDirBefore = snapshot(priv);

        // --slot with several keys but no single root key is refused before anything is sent
        Custody.Result ambiguous = custody.run(
                "key",
                "import",
                priv.resolve(ids.get("targets") + ".key").toString(),
                priv.resolve(ids.get("snapshot") + ".key").toString(),
                "--token",
                "yk1",
                "--slot",
                "9a");
        assertThat(ambiguous.status()).as(ambiguous.err()).isEqualTo(2);
        assertThat(ambiguous.err().lines()).hasSize(1);

        // the root key onto the YubiKey, slot 9c
        Custody.Result imp = custody.run(
                        "key",
                        "import",
                        priv.resolve(ids.get("root") + ".key").toString(),
                        "--token",
                        "yk1",
                        "--slot",
                        "9c")
                .ok();
        assertThat(imp.out())
                .contains("Imported root key " + ids.get("root") + " from ")
                .contains("onto yk1 (serial " + SERIAL + ", slot 9c)");
        PivCard card = emulator.card(SERIAL);
        assertThat(card.slotsWithKeys()).containsExactly(PivCard.SLOT_SIGNATURE);
        assertThat(card.commandLog()).anyMatch(l -> l.equals("00FE119C -> 9000"));
        // the repository keys onto SoftHSM2
        custody.run(
                        "key",
                        "import",
                        priv.resolve(ids.get("targets") + ".key").toString(),
                        priv.resolve(ids.get("snapshot") + ".key").toString(),
                        "--token",
                        "main")
                .ok();

        // 9c is taken now: a second import there is a CONFLICT and the card keeps its key
        java.security.interfaces.ECPublicKey onCard =
                card.publicKey(PivCard.SLOT_SIGNATURE).orElseThrow();
        Path other = dir.resolve("other.key");
        OpenSsl.p256Key(other);
        Custody.Result taken = custody.run(
                "key", "import", other.toString(), "--role", "targets", "--gun", GUN, "--token", "yk1", "--slot", "9c");
        assertThat(taken.status()).as(taken.err()).isEqualTo(7);
        assertThat(taken.err().lines()).hasSize(1);
        assertThat(taken.err()).contains("slot 9c").contains("already holds a key");
        assertThat(card.publicKey(PivCard.SLOT_SIGNATURE)).contains(onCard);

        // the key on the YubiKey is sensitive and not extractable, as the token layer reports it
        JsonNode scan = JSON.readTree(
                custody.run("key", "scan", "--token", "yk1", "-o", "json").ok().out());
        JsonNode rootOnYk = null;
        for (JsonNode k : scan.path("keys")) {
            if (k.path("keyId").asText().equals(ids.get("root"))) {
                rootOnYk = k;
            }
        }
        assertThat(rootOnYk).as(scan.toString()).isNotNull();
        assertThat(rootOnYk.path("sensitive").asBoolean()).isTrue();
        assertThat(rootOnYk.path("extractable").asBoolean()).isFalse();
        assertThat(rootOnYk.path("known").asBoolean()).isTrue();

        // adopt: the server's root is trusted because the root key on the YubiKey signed it
        Custody.Result adopted = custody.run("adopt", GUN).ok();
        assertThat(adopted.out())
                .startsWith("Adopted " + GUN + " at root version 1: its root is signed by root key " + ids.get("root"));

        // a root-signed operation: the new targets key goes on SoftHSM2, root v2 is signed on the YubiKey
        int before = card.signatures(PivCard.SLOT_SIGNATURE);
        Custody.Result rot =
                custody.run("key", "rotate", GUN, "targets", "--token", "main").ok();
        assertThat(rot.out())
                .startsWith("Successfully rotated targets key for repository " + GUN)
                .contains("(root version 2)");
        assertThat(card.signatures(PivCard.SLOT_SIGNATURE)).isGreaterThan(before);
        Path f2 = Files.writeString(dir.resolve("app2.tar"), "after the rotation\n");
        custody.run("add", GUN, "v2", f2.toString(), "-p").ok();
        NotaryCli fresh = NotaryCli.create(Files.createTempDirectory(dir, "notary-fresh-"), server);
        assertThat(fresh.ok("list", GUN)).contains("v1 ").contains("v2 ");
        assertThat(notary.ok("list", GUN)).contains("v2 "); // notary's own client follows root v2 too

        // notary's trust_dir is untouched, and no secret of the imported keys is in state, audit or log
        assertThat(snapshot(priv)).isEqualTo(trustDirBefore);
        List<String> secrets = new ArrayList<>(List.of(ROOT_PASS, REPO_PASS));
        for (String pem : trustDirBefore.values()) {
            pem.lines().filter(l -> l.length() >= 40 && !l.startsWith("-----")).forEach(secrets::add);
            PrivateKeyInfo info = decrypt(pem, pem.contains("role: root") ? ROOT_PASS : REPO_PASS);
            secrets.add(Base64.getEncoder().encodeToString(info.getEncoded()));
            byte[] s = ((ECPrivateKey) new JcaPEMKeyConverter().getPrivateKey(info))
                    .getS()
                    .toByteArray();
            byte[] scalar = java.util.Arrays.copyOfRange(s, Math.max(0, s.length - 32), s.length);
            secrets.add(HexFormat.of().formatHex(scalar));
            secrets.add(HexFormat.of().formatHex(scalar).toUpperCase(java.util.Locale.ROOT));
            secrets.add(Base64.getEncoder().encodeToString(scalar));
        }
        List<Path> files;
        try (Stream<Path> w = Files.walk(daemon.dir)) {
            files = w.filter(Files::isRegularFile).toList();
        }
        assertThat(files).anyMatch(f -> f.endsWith("audit.log")).anyMatch(f -> f.endsWith("keys.json"));
        for (Path f : files) {
            String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
            for (String secret : secrets) {
                assertThat(content)
                        .as("%s holds a secret of the imported keys", f)
                        .doesNotContain(secret);
            }
        }
        assertThat(log.lines()).isNotEmpty();
        String logged = log.text() + String.join("\n", card.commandLog());
        for (String secret : secrets) {
            assertThat(logged).as("a log holds a secret of the imported keys").doesNotContain(secret);
        }
        assertThat(imp.out() + imp.err() + rot.out() + rot.err()).doesNotContain(ROOT_PASS);
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

    private static PrivateKeyInfo decrypt(String pem, String pass) throws Exception {
        try (PemReader r = new PemReader(new StringReader(pem))) {
            PemObject o = r.readPemObject();
            return new PKCS8EncryptedPrivateKeyInfo(o.getContent())
                    .decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder()
                            .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
                            .build(pass.toCharArray()));
        }
    }
}
