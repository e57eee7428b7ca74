package dev.custody.p11module;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.daemon.policy.UnixAccounts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What custodyd's policy, approvals and token state do to a PKCS#11 caller: POLICY_DENIED is
 * CKR_KEY_FUNCTION_NOT_PERMITTED with an audit line, a key whose rule needs an approval makes C_Sign wait
 * until a custodian approves from another process (or CKR_FUNCTION_REJECTED after the module's
 * approval-timeout), a pulled token is CKR_DEVICE_REMOVED, and policy decides which keys are shown.
 */
class Pkcs11PolicyTest {
    private static final String GUN = "example.com/app";
    private static final String LABEL = GUN + "/targets";
    private static final long UID = UnixAccounts.selfUid();

    @TempDir
    Path dir;

    /** A PyKCS11 session that found the key, then signs once per line on stdin and prints the CKR name. */
    private static final String SIGNER = """
      import sys, PyKCS11
      lib = PyKCS11.PyKCS11Lib(); lib.load(sys.argv[1])
      s = lib.openSession(lib.getSlotList(tokenPresent=True)[0])
      k = s.findObjects([(PyKCS11.CKA_CLASS, PyKCS11.CKO_PRIVATE_KEY), (PyKCS11.CKA_LABEL, sys.argv[2])])[0]
      print("ready", flush=True)
      for _ in sys.stdin:
          try:
              print("signed", len(s.sign(k, b"d" * 32, PyKCS11.Mechanism(PyKCS11.CKM_ECDSA))), flush=True)
          except PyKCS11.PyKCS11Error as e:
              print(PyKCS11.CKR.get(e.value, hex(e.value)), flush=True)
      """;

    private static String rules(String signRule) {
        return """
        approvalTimeout: 60s
        policy:
          rules:
        %s
            - name: custodians
              uids: [%d]
              operations: [key.generate, key.list, approve, audit.read, policy.read]
        """.formatted(signRule, UID);
    }

    private static String allowSigning() {
        return """
            - name: ci-signs
              uids: [%d]
              operations: [sign.raw]
              guns: ["example.com/*"]
        """.formatted(UID);
    }

    private Path signerScript() throws Exception {
        Path f = dir.resolve("signer.py");
        Files.writeString(f, SIGNER);
        return f;
    }

    @Test
    void sign_policyNoLongerAllows_isKeyFunctionNotPermitted_andAudited() throws Exception {
        try (FrontDoorHarness h = new FrontDoorHarness(dir)) {
            h.start(rules(allowSigning()));
            String keyId = h.generate("targets", GUN, "ecdsa").get("keyId").asText();
            Process p = h.start(
                    h.env(null), List.of("/usr/bin/python3", signerScript().toString(), h.module.toString(), LABEL));
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            OutputStream in = p.getOutputStream();
            try {
                assertThat(out.readLine()).isEqualTo("ready");
                in.write("\n".getBytes());
                in.flush();
                assertThat(out.readLine()).isEqualTo("signed 64");
                // the operator takes sign.raw away (a restart with the new policy); the caller's session stays open
                h.stop();
                h.start(rules(""));
                in.write("\n".getBytes());
                in.flush();
                assertThat(out.readLine()).isEqualTo("CKR_KEY_FUNCTION_NOT_PERMITTED");
            } finally {
                in.close();
                FrontDoorHarness.finish(p, Duration.ofSeconds(30));
            }
            JsonNode line = h.lastAudit("pkcs11.sign");
            assertThat(line.path("result").asText()).isEqualTo("POLICY_DENIED");
            assertThat(line.path("gun").asText()).isEqualTo(GUN);
            assertThat(line.path("role").asText()).isEqualTo("targets");
            assertThat(line.path("pid").asLong()).isEqualTo(p.pid());
            // and a new caller is not even shown the key
            FrontDoorHarness.Run list =
                    h.run(h.env(null), List.of("pkcs11-tool", "--module", h.module.toString(), "--list-objects"));
            assertThat(list.out()).doesNotContain(keyId);
        }
    }

    /**
     * The signer is another uid ({@code nobody}, through setpriv) than the custodian (this JVM's uid), as
     * custodyd's four-eyes rule wants: the requester never approves its own request.
     */
    @Test
    void sign_needsApproval_waitsUntilCustodianApprovesFromAnotherProcess() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(UID == 0, "needs root to run the signer as nobody");
        long nobody = 65534;
        try (FrontDoorHarness h = new FrontDoorHarness(dir)) {
            h.start(rules("""
              - name: ci-signs-with-approval
                uids: [%d]
                operations: [sign.raw]
                guns: ["example.com/*"]
                approval: required
          """.formatted(nobody)));
            String keyId = h.generate("targets", GUN, "ecdsa").get("keyId").asText();
            // what nobody needs: the socket, the module, the digest, somewhere to write the signature
            var open = java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x");
            Files.setPosixFilePermissions(dir, open);
            Files.setPosixFilePermissions(h.socket().getParent(), open);
            Files.setPosixFilePermissions(
                    h.socket(), java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
            Path lib = Files.createDirectories(dir.resolve("lib"));
            Files.setPosixFilePermissions(lib, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path module = Files.copy(h.module, lib.resolve(ModuleBuild.LIBRARY));
            Files.setPosixFilePermissions(module, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path out = Files.createDirectories(dir.resolve("out"));
            Files.setPosixFilePermissions(out, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            Path dgst = out.resolve("dgst");
            Files.write(dgst, new byte[32]);
            Files.setPosixFilePermissions(dgst, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Process tool = h.start(
                    h.env(null),
                    List.of(
                            "setpriv",
                            "--reuid=" + nobody,
                            "--regid=" + nobody,
                            "--clear-groups",
                            "pkcs11-tool",
                            "--module",
                            module.toString(),
                            "--sign",
                            "-m",
                            "ECDSA",
                            "--id",
                            keyId,
                            "-i",
                            dgst.toString(),
                            "-o",
                            out.resolve("sig").toString()));
            JsonNode pending = null;
            for (int i = 0; i < 200 && pending == null; i++) {
                JsonNode list = h.client.call("pending.list", Map.of()).get("pending");
                pending = list.size() > 0 ? list.get(0) : null;
                if (pending == null) {
                    Thread.sleep(100);
                }
            }
            assertThat(pending).as("C_Sign shows as pending").isNotNull();
            assertThat(pending.path("summary").asText()).contains("PKCS#11", "pkcs11-tool", LABEL);
            assertThat(tool.isAlive()).as("C_Sign waits").isTrue();
            h.client.call("pending.approve", Map.of("id", pending.get("id").asText()));
            FrontDoorHarness.Run r = FrontDoorHarness.finish(tool, Duration.ofSeconds(60));
            assertThat(r.exit()).as(r.all()).isZero();
            assertThat(Files.size(out.resolve("sig"))).isEqualTo(64);
            assertThat(h.lastAudit("pkcs11.sign").path("result").asText()).isEqualTo("ok");
            assertThat(h.lastAudit("approval.granted")).isNotNull();
        }
    }

    @Test
    void sign_approvalNotGivenWithinModuleTimeout_isFunctionRejected() throws Exception {
        try (FrontDoorHarness h = new FrontDoorHarness(dir)) {
            h.start(rules(allowSigning()
                    .replace("guns: [\"example.com/*\"]", "guns: [\"example.com/*\"]\n      approval: required")));
            String keyId = h.generate("targets", GUN, "ecdsa").get("keyId").asText();
            Path dgst = dir.resolve("dgst");
            Files.write(dgst, new byte[32]);
            Path conf = h.moduleConf("short", "approval-timeout = 2");
            long t0 = System.nanoTime();
            FrontDoorHarness.Run r = h.signEcdsa(h.env(conf), keyId, dgst, dir.resolve("sig"));
            assertThat(r.exit()).isNotZero();
            // pkcs11-tool has no name for CKR_FUNCTION_REJECTED (0x200); it tries C_Sign, then C_SignUpdate/Final
            assertThat(r.all()).contains("(0x200)", "approval-timeout");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30));
            JsonNode pending = h.client.call("pending.list", Map.of()).get("pending");
            assertThat(pending).isNotEmpty();
            for (JsonNode e : pending) {
                h.client.call("pending.deny", Map.of("id", e.get("id").asText()));
            }
            for (int i = 0; i < 100 && !h.lastAuditOr("pkcs11.sign").isPresent(); i++) {
                Thread.sleep(100);
            }
            assertThat(h.lastAudit("pkcs11.sign").path("result").asText()).isEqualTo("APPROVAL_DENIED");
        }
    }

    @Test
    void sign_tokenPulled_isDeviceRemoved() throws Exception {
        try (FrontDoorHarness h = new FrontDoorHarness(dir)) {
            h.start(rules(allowSigning()));
            String keyId = h.generate("targets", GUN, "ecdsa").get("keyId").asText();
            Path dgst = dir.resolve("dgst");
            Files.write(dgst, new byte[32]);
            h.shim.setTokenPresent(false);
            FrontDoorHarness.Run r = h.signEcdsa(h.env(null), keyId, dgst, dir.resolve("sig"));
            assertThat(r.exit()).isNotZero();
            assertThat(r.all()).contains("CKR_DEVICE_REMOVED");
            assertThat(h.lastAudit("pkcs11.sign").path("result").asText()).isEqualTo("TOKEN_ABSENT");
        }
    }
}
