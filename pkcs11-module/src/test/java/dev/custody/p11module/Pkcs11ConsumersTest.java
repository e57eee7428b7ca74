package dev.custody.p11module;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * libcustody-pkcs11.so with the real consumers (Debian packages) against a real custodyd over a SoftHSM2
 * token: pkcs11-tool, OpenSSL's pkcs11 engine, OpenSSH (ssh-keygen -D, ssh-agent + ssh-add -s,
 * ssh-keygen -Y sign/verify) and securesystemslib's HSMSigner; every signature is verified with the
 * public key alone, and every C_Sign leaves an audit line {@code via: pkcs11} naming the executable.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Pkcs11ConsumersTest {
    private static final String GUN = "example.com/app";
    private static final String LABEL = GUN + "/targets";

    @TempDir
    static Path dir;

    private FrontDoorHarness h;
    private String ecKeyId;
    private String edKeyId;
    private Path ecPem;

    @BeforeAll
    void start() throws Exception {
        h = new FrontDoorHarness(dir).start("");
        ecKeyId = h.generate("targets", GUN, "ecdsa").get("keyId").asText();
        edKeyId = h.generate("root", null, "ed25519").get("keyId").asText();
        ecPem = h.publicKeyPem(ecKeyId);
    }

    @AfterAll
    void stop() throws Exception {
        h.close();
    }

    private String module() {
        return h.module.toString();
    }

    private FrontDoorHarness.Run tool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("pkcs11-tool", "--module", module()));
        cmd.addAll(List.of(args));
        return h.run(h.env(null), cmd);
    }

    private Path write(String name, byte[] data) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, data);
        return f;
    }

    @Test
    void pkcs11Tool_listObjects_showsBothKeysSensitiveAndNeverExtractable() throws Exception {
        FrontDoorHarness.Run r = tool("--list-objects");
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out())
                .contains(
                        "label:      " + LABEL,
                        "ID:         " + ecKeyId,
                        "label:      root",
                        "ID:         " + edKeyId,
                        "EC_PARAMS:  06082a8648ce3d030107",
                        "EC_PARAMS:  06032b6570",
                        "Access:     sensitive, always sensitive, never extractable");
        FrontDoorHarness.Run slots = tool("--list-token-slots");
        assertThat(slots.out()).contains("token label        : custody").doesNotContain("login required");
    }

    @Test
    void listObjects_custodydUnreachable_emptyTokenAndOneLineOnStderr() throws Exception {
        Map<String, String> env = new java.util.HashMap<>(h.env(null));
        env.put("CUSTODY_SOCKET", dir.resolve("no-such.sock").toString());
        FrontDoorHarness.Run r = h.run(env, List.of("pkcs11-tool", "--module", module(), "--list-objects"));
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out()).doesNotContain("Private Key Object");
        assertThat(r.err())
                .contains("custody: listing keys: cannot talk to custodyd at " + dir.resolve("no-such.sock"));
    }

    @Test
    void pkcs11Tool_signEcdsaDigestAndSha256_verifiedWithOpenssl() throws Exception {
        Path msg = write("msg", "hello from pkcs11-tool".getBytes(StandardCharsets.UTF_8));
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(msg));
        Path dgst = write("dgst", digest);
        FrontDoorHarness.Run s1 = tool(
                "--sign",
                "-m",
                "ECDSA",
                "--id",
                ecKeyId,
                "-i",
                dgst.toString(),
                "-o",
                dir.resolve("sig1.der").toString(),
                "--signature-format",
                "openssl");
        assertThat(s1.exit()).as(s1.all()).isZero();
        FrontDoorHarness.Run v1 = h.verifyDigest(ecPem, dgst, dir.resolve("sig1.der"));
        assertThat(v1.all()).contains("Signature Verified Successfully");
        JsonNode line = h.lastAudit("pkcs11.sign");
        assertThat(line.path("result").asText()).isEqualTo("ok");
        assertThat(line.path("keyId").asText()).isEqualTo(ecKeyId);
        assertThat(line.path("gun").asText()).isEqualTo(GUN);
        assertThat(line.path("details").path("via").asText()).isEqualTo("pkcs11");
        assertThat(line.path("details").path("mechanism").asText()).isEqualTo("ecdsa");
        assertThat(line.path("details").path("digest").asText())
                .isEqualTo(HexFormat.of().formatHex(digest));
        assertThat(line.path("details").path("exe").asText()).endsWith("/pkcs11-tool");
        assertThat(line.path("pid").asLong())
                .isPositive()
                .isNotEqualTo(ProcessHandle.current().pid());

        FrontDoorHarness.Run s2 = tool(
                "--sign",
                "-m",
                "ECDSA-SHA256",
                "--id",
                ecKeyId,
                "-i",
                msg.toString(),
                "-o",
                dir.resolve("sig2.der").toString(),
                "--signature-format",
                "openssl");
        assertThat(s2.exit()).as(s2.all()).isZero();
        FrontDoorHarness.Run v2 = h.run(
                Map.of(),
                List.of(
                        "openssl",
                        "dgst",
                        "-sha256",
                        "-verify",
                        ecPem.toString(),
                        "-signature",
                        dir.resolve("sig2.der").toString(),
                        msg.toString()));
        assertThat(v2.all()).contains("Verified OK");
    }

    @Test
    void pkcs11Tool_signEd25519_verifiedWithOpenssl() throws Exception {
        Path msg = write("edmsg", "ed25519 through custodyd".getBytes(StandardCharsets.UTF_8));
        FrontDoorHarness.Run s = tool(
                "--sign",
                "-m",
                "EDDSA",
                "--id",
                edKeyId,
                "-i",
                msg.toString(),
                "-o",
                dir.resolve("edsig").toString());
        assertThat(s.exit()).as(s.all()).isZero();
        FrontDoorHarness.Run v = h.verifyRaw(h.publicKeyPem(edKeyId), msg, dir.resolve("edsig"));
        assertThat(v.all()).contains("Signature Verified Successfully");
        assertThat(h.lastAudit("pkcs11.sign").path("details").path("mechanism").asText())
                .isEqualTo("eddsa");
    }

    @Test
    void objectWrites_keygenImportDeleteModify_areRefused() throws Exception {
        String py = """
        import sys, PyKCS11
        lib = PyKCS11.PyKCS11Lib(); lib.load(sys.argv[1])
        s = lib.openSession(lib.getSlotList(tokenPresent=True)[0], PyKCS11.CKF_SERIAL_SESSION | PyKCS11.CKF_RW_SESSION)
        k = s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY), (PyKCS11.CKA_LABEL, sys.argv[2])])[0]
        def attempt(name, f):
            try:
                f(); print(name, "CKR_OK")
            except PyKCS11.PyKCS11Error as e:
                print(name, PyKCS11.CKR.get(e.value, hex(e.value)))
        attempt("generate", lambda: s.generateKeyPair(
            [(PyKCS11.CKA_EC_PARAMS, bytes.fromhex("06082a8648ce3d030107"))], [(PyKCS11.CKA_SIGN, True)],
            mecha=PyKCS11.Mechanism(PyKCS11.CKM_EC_KEY_PAIR_GEN)))
        attempt("create", lambda: s.createObject([(PyKCS11.CKA_CLASS, PyKCS11.CKO_DATA), (PyKCS11.CKA_VALUE, b"x")]))
        # 0x1b: CKR_ACTION_PROHIBITED, which PyKCS11 has no name for
        attempt("modify", lambda: s.setAttributeValue(k, [(PyKCS11.CKA_LABEL, "other")]))
        attempt("destroy", lambda: s.destroyObject(k))
        print("value", s.getAttributeValue(k, [PyKCS11.CKA_SENSITIVE, PyKCS11.CKA_EXTRACTABLE]))
        """;
        Path script = write("writes.py", py.getBytes(StandardCharsets.UTF_8));
        FrontDoorHarness.Run r = h.run(h.env(null), List.of("/usr/bin/python3", script.toString(), module(), LABEL));
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out())
                .contains(
                        "generate CKR_FUNCTION_NOT_SUPPORTED",
                        "create CKR_FUNCTION_NOT_SUPPORTED",
                        "modify 0x1b",
                        "destroy 0x1b",
                        "value [True, False]");
        FrontDoorHarness.Run list = tool("--list-objects", "--type", "privkey");
        assertThat(list.out()).contains("ID:         " + ecKeyId);
    }

    @Test
    void openssl_engineSignsByPkcs11Uri_verified() throws Exception {
        Path dgst =
                write("odgst", MessageDigest.getInstance("SHA-256").digest("openssl".getBytes(StandardCharsets.UTF_8)));
        Path conf = h.moduleConf("openssl", "key-types = ecdsa");
        Map<String, String> env = new java.util.HashMap<>(h.env(conf));
        env.put("PKCS11_MODULE_PATH", module());
        FrontDoorHarness.Run s = h.run(
                env,
                List.of(
                        "openssl",
                        "pkeyutl",
                        "-engine",
                        "pkcs11",
                        "-sign",
                        "-keyform",
                        "engine",
                        "-inkey",
                        "pkcs11:token=custody;object=example.com%2Fapp%2Ftargets;type=private",
                        "-in",
                        dgst.toString(),
                        "-out",
                        dir.resolve("osig.der").toString()));
        assertThat(s.exit()).as(s.all()).isZero();
        FrontDoorHarness.Run v = h.verifyDigest(ecPem, dgst, dir.resolve("osig.der"));
        assertThat(v.all()).contains("Signature Verified Successfully");
        assertThat(h.lastAudit("pkcs11.sign").path("details").path("exe").asText())
                .contains("openssl");
    }

    @Test
    void openssh_listsKey_agentLoadsIt_signatureVerifies() throws Exception {
        FrontDoorHarness.Run d = h.run(h.env(null), List.of("ssh-keygen", "-D", module()));
        assertThat(d.exit()).as(d.all()).isZero();
        assertThat(d.out()).startsWith("ecdsa-sha2-nistp256 ").contains(LABEL);
        String pub = d.out()
                .lines()
                .filter(l -> l.startsWith("ecdsa-sha2-nistp256 "))
                .findFirst()
                .orElseThrow();
        Path pubFile = write("id_custody.pub", (pub + "\n").getBytes(StandardCharsets.UTF_8));
        Path agentSock = dir.resolve("agent.sock");
        Process agent = h.start(
                h.env(null), List.of("ssh-agent", "-D", "-a", agentSock.toString(), "-P", h.module.getParent() + "/*"));
        try {
            for (int i = 0; i < 100 && !Files.exists(agentSock); i++) {
                Thread.sleep(50);
            }
            Map<String, String> env = new java.util.HashMap<>(h.env(null));
            env.put("SSH_AUTH_SOCK", agentSock.toString());
            env.put("SSH_ASKPASS", "/bin/true"); // the "PIN" ssh-add asks for is empty and ignored
            env.put("SSH_ASKPASS_REQUIRE", "force");
            FrontDoorHarness.Run add = h.run(env, List.of("ssh-add", "-s", module()));
            assertThat(add.exit()).as(add.all()).isZero();
            assertThat(h.run(env, List.of("ssh-add", "-L")).out()).contains(pub.split(" ")[1]);
            Path file = write("release.txt", "signed by ssh through custodyd\n".getBytes(StandardCharsets.UTF_8));
            FrontDoorHarness.Run sign = h.run(
                    env, List.of("ssh-keygen", "-Y", "sign", "-f", pubFile.toString(), "-n", "file", file.toString()));
            assertThat(sign.exit()).as(sign.all()).isZero();
            Path allowed =
                    write("allowed_signers", ("release@example.com " + pub + "\n").getBytes(StandardCharsets.UTF_8));
            FrontDoorHarness.Run verify = h.run(
                    Map.of(),
                    List.of(
                            "sh",
                            "-c",
                            "ssh-keygen -Y verify -f " + allowed + " -I release@example.com -n file -s " + file
                                    + ".sig < " + file));
            assertThat(verify.exit()).as(verify.all()).isZero();
            assertThat(verify.all()).contains("Good \"file\" signature for release@example.com");
            assertThat(h.lastAudit("pkcs11.sign").path("details").path("exe").asText())
                    .contains("ssh");
        } finally {
            agent.destroy();
        }
    }

    @Test
    void securesystemslib_hsmSignerByPivId_signsTufMetadataThatVerifies() throws Exception {
        Path script = dir.resolve("tuf_hsm_sign.py");
        try (var in = getClass().getResourceAsStream("tuf_hsm_sign.py")) {
            Files.write(script, in.readAllBytes());
        }
        Path conf = h.moduleConf("sslib", "id-alias = 02 " + LABEL);
        Map<String, String> env = new java.util.HashMap<>(h.env(conf));
        env.put("PYKCS11LIB", module());
        Path out = dir.resolve("targets.json");
        FrontDoorHarness.Run r = h.run(env, List.of("/usr/bin/python3", script.toString(), out.toString()));
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out()).contains("verified");
        JsonNode md = FrontDoorHarness.JSON.readTree(out.toFile());
        assertThat(md.path("signed").path("spec_version").asText()).startsWith("1.0");
        assertThat(md.path("signatures").get(0).path("sig").asText()).isNotEmpty();
        JsonNode line = h.lastAudit("pkcs11.sign");
        assertThat(line.path("keyId").asText()).isEqualTo(ecKeyId);
        assertThat(line.path("details").path("exe").asText()).contains("python3");
    }

    /** test-hsm's C sign bench, four threads with a session each: thread-safe, and every signature verifies. */
    @Test
    void signBench_fourThreads_signConcurrently_selfCheckVerifies() throws Exception {
        long before = h.audit().stream()
                .filter(l -> l.path("method").asText().equals("pkcs11.sign")
                        && l.path("result").asText().equals("ok"))
                .count();
        dev.custody.testhsm.SignBench.Result r = dev.custody.testhsm.SignBench.run(
                h.module, "custody", LABEL, 4, 2, "ignored".toCharArray(), h.env(null));
        assertThat(r.threads()).isEqualTo(4);
        assertThat(r.signs()).isPositive();
        long after = h.audit().stream()
                .filter(l -> l.path("method").asText().equals("pkcs11.sign")
                        && l.path("result").asText().equals("ok"))
                .count();
        assertThat(after - before)
                .as("one audit line per signature (and the self-check's)")
                .isGreaterThan(r.signs());
    }

    @Test
    void forkedChild_reconnects_andIsAuditedUnderItsOwnPid() throws Exception {
        String py = """
        import os, sys, PyKCS11
        lib = PyKCS11.PyKCS11Lib(); lib.load(sys.argv[1])
        def sign():
            s = lib.openSession(lib.getSlotList(tokenPresent=True)[0])
            k = s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY), (PyKCS11.CKA_LABEL, sys.argv[2])])[0]
            sig = s.sign(k, b"x" * 32, PyKCS11.Mechanism(PyKCS11.CKM_ECDSA))
            s.closeSession()
            return len(sig)
        print("parent", os.getpid(), sign(), flush=True)
        pid = os.fork()
        if pid == 0:
            print("child", os.getpid(), sign(), flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        print("parent", os.getpid(), sign(), flush=True)
        """;
        Path script = write("fork.py", py.getBytes(StandardCharsets.UTF_8));
        FrontDoorHarness.Run r = h.run(h.env(null), List.of("/usr/bin/python3", script.toString(), module(), LABEL));
        assertThat(r.exit()).as(r.all()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(3).allMatch(l -> l.endsWith(" 64"));
        long parent = Long.parseLong(lines.get(0).split(" ")[1]);
        long child = Long.parseLong(lines.get(1).split(" ")[1]);
        List<Long> pids = h.audit().stream()
                .filter(l -> l.path("method").asText().equals("pkcs11.sign"))
                .map(l -> l.path("pid").asLong())
                .toList();
        assertThat(pids.subList(pids.size() - 3, pids.size())).containsExactly(parent, child, parent);
    }
}
