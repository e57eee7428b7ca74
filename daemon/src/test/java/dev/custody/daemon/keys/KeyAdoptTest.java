package dev.custody.daemon.keys;

import static dev.custody.daemon.keys.KeysHarness.params;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.PolicyDeniedException;
import dev.custody.testhsm.SoftHsm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code key.scan} and {@code key.adopt}: keys that are already on a token — made by pkcs11-tool, or by
 * another custodyd whose inventory this daemon does not have — are enrolled without copying anything,
 * then sign through this daemon, and the signature verifies with the public key the scan reported.
 */
@Requires(Capability.LINUX)
class KeyAdoptTest {
    private static final Duration LIMIT = Duration.ofSeconds(120);
    private static final String GUN = "r.example/app";

    @TempDir
    Path dir;

    /**
     * {@code pkcs11-tool --keypairgen} on the harness's token. The PIN goes through the environment
     * ({@code --pin env:NAME}, read by OpenSC's util_get_pin), never the command line.
     */
    private static void pkcs11ToolKeypair(KeysHarness h, String id, String label, String... extra) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                "pkcs11-tool",
                "--module",
                SoftHsm.MODULE.toString(),
                "--token-label",
                h.token.label(),
                "--login",
                "--pin",
                "env:CUSTODY_TEST_PIN",
                "--keypairgen",
                "--key-type",
                "EC:prime256v1",
                "--usage-sign",
                "--id",
                id,
                "--label",
                label));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(SoftHsm.forThisProcess().env());
        pb.environment().put("CUSTODY_TEST_PIN", KeysHarness.PIN);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }

    private static JsonNode scanned(JsonNode scan, String ckaId) {
        return StreamSupport.stream(scan.get("keys").spliterator(), false)
                .filter(k -> k.get("ckaId").asText().equals(ckaId))
                .findFirst()
                .orElseThrow(() -> new AssertionError("key.scan does not list CKA_ID " + ckaId + ": " + scan));
    }

    private static PublicKey pem(String pem) throws Exception {
        String b64 = pem.replaceAll("-----[A-Z ]+-----", "")
                .replaceAll("(?m)^[a-z]+:.*$", "")
                .replaceAll("\\s", "");
        return KeyFactory.getInstance("EC")
                .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
    }

    private static void assertSignsAndVerifies(KeysHarness h, String keyId, PublicKey pub) throws Exception {
        byte[] data = ("adopted " + keyId).getBytes(StandardCharsets.UTF_8);
        JsonNode sig = h.client.call(
                "sign.raw", params("keyId", keyId, "data", Base64.getEncoder().encodeToString(data)));
        Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
        v.initVerify(pub);
        v.update(data);
        assertThat(v.verify(Base64.getDecoder().decode(sig.get("signature").asText())))
                .isTrue();
    }

    @Test
    void keyAdopt_pkcs11ToolKey_signsThroughTheDaemon_andBadInputIsRefused() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                pkcs11ToolKeypair(h, "0a01", "made-by-pkcs11-tool");
                pkcs11ToolKeypair(h, "0a02", "extractable-one", "--sensitive", "--extractable");
                h.start("prompt", "");
                h.client.call("token.unlock", params("token", "main", "pin", KeysHarness.PIN));

                JsonNode scan = h.client.call("key.scan", params("token", "main"));
                assertThat(scan.get("token").asText()).isEqualTo("main");
                assertThat(scan.get("tokenSerial").asText()).isEqualTo(h.token.serial());
                JsonNode good = scanned(scan, "0a01");
                assertThat(good.get("label").asText()).isEqualTo("made-by-pkcs11-tool");
                assertThat(good.get("keyId").asText()).matches("[0-9a-f]{64}");
                assertThat(good.get("known").asBoolean()).isFalse();
                assertThat(good.get("adoptable").asBoolean()).isTrue();
                assertThat(good.get("sensitive").asBoolean()).isTrue();
                JsonNode leaky = scanned(scan, "0a02");
                assertThat(leaky.get("extractable").asBoolean()).isTrue();
                assertThat(leaky.get("adoptable").asBoolean()).isFalse();
                String keyId = good.get("keyId").asText();

                // bad input first: nothing is recorded by any of these
                assertThatThrownBy(() -> h.client.call(
                                "key.adopt", params("token", "main", "ckaId", "0a01", "role", "timestamp", "gun", GUN)))
                        .isInstanceOf(BadRequestException.class)
                        .hasMessageContaining("timestamp");
                assertThatThrownBy(() ->
                                h.client.call("key.adopt", params("token", "main", "ckaId", "0a01", "role", "targets")))
                        .isInstanceOf(BadRequestException.class)
                        .hasMessageContaining("params.gun");
                assertThatThrownBy(() -> h.client.call(
                                "key.adopt",
                                params("token", "main", "ckaId", "0a01", "role", "releases/../x", "gun", GUN)))
                        .isInstanceOf(BadRequestException.class);
                assertThatThrownBy(() -> h.client.call(
                                "key.adopt", params("token", "main", "ckaId", "0a01", "keyId", keyId, "role", "root")))
                        .isInstanceOf(BadRequestException.class)
                        .hasMessageContaining("exactly one");
                assertThatThrownBy(() -> h.client.call(
                                "key.adopt", params("token", "main", "keyId", "ab".repeat(32), "role", "root")))
                        .isInstanceOf(NotFoundException.class)
                        .hasMessageContaining("custody key scan");
                assertThatThrownBy(() ->
                                h.client.call("key.adopt", params("token", "main", "ckaId", "0a02", "role", "root")))
                        .isInstanceOf(ConflictException.class)
                        .hasMessageContaining("CKA_EXTRACTABLE=true");
                assertThat(h.client.call("key.list", Map.of()).get("keys")).isEmpty();

                JsonNode adopted = h.client.call(
                        "key.adopt", params("token", "main", "ckaId", "0a01", "role", "targets", "gun", GUN));
                assertThat(adopted.get("keyId").asText()).isEqualTo(keyId);
                assertThat(adopted.get("role").asText()).isEqualTo("targets");
                assertThat(adopted.get("gun").asText()).isEqualTo(GUN);
                assertThat(adopted.get("ckaId").asText()).isEqualTo("0a01");
                assertThat(adopted.get("label").asText())
                        .as("the token object is left as it was")
                        .isEqualTo("made-by-pkcs11-tool");
                assertSignsAndVerifies(h, keyId, pem(good.get("publicKey").asText()));

                assertThatThrownBy(() -> h.client.call(
                                "key.adopt", params("token", "main", "keyId", keyId, "role", "targets", "gun", GUN)))
                        .isInstanceOf(ConflictException.class)
                        .hasMessageContaining("already in the inventory");
                JsonNode again = scanned(h.client.call("key.scan", params("token", "main")), "0a01");
                assertThat(again.get("known").asBoolean()).isTrue();
                assertThat(again.get("role").asText()).isEqualTo("targets");
                assertThat(again.get("adoptable").asBoolean()).isFalse();
                assertThat(Files.readString(h.keysJson())).contains(keyId).contains("\"ckaId\" : \"0a01\"");
                String audit = Files.readString(h.auditLog());
                assertThat(audit.lines()
                                .filter(l -> l.contains("\"key.adopt\"")
                                        && l.contains(keyId)
                                        && l.contains("\"result\":\"ok\"")))
                        .as("one adoption, audited with its key ID")
                        .hasSize(1);
                assertThat(audit.lines()
                                .filter(l -> l.contains("\"key.adopt\"") && l.contains("\"result\":\"CONFLICT\"")))
                        .as("the extractable key and the second adoption")
                        .hasSize(2);
                assertThat(audit).doesNotContain(KeysHarness.PIN);
            }
        });
    }

    @Test
    void keyAdopt_keyOfAnotherDaemon_byKeyId() {
        assertTimeoutPreemptively(LIMIT, () -> {
            String keyId;
            PublicKey pub;
            try (KeysHarness a = new KeysHarness(dir)) {
                a.start("prompt", "");
                a.client.call("token.unlock", params("token", "main", "pin", KeysHarness.PIN));
                JsonNode k = a.client.call("key.generate", params("role", "root"));
                keyId = k.get("keyId").asText();
                pub = pem(k.get("publicKey").asText());
                // the other machine: same token, a state directory that has never seen the key
                Path other = dir.resolve("other-state");
                Files.move(dir.resolve("state"), other);
                a.daemon.stop();
                a.client.close();
                a.daemon = null;
                a.client = null;
                a.start("prompt", "");
                a.client.call("token.unlock", params("token", "main", "pin", KeysHarness.PIN));
                assertThat(a.client.call("key.list", Map.of()).get("keys")).isEmpty();
                assertThatThrownBy(() -> a.client.call("sign.raw", params("keyId", keyId, "data", "AA==")))
                        .isInstanceOf(NotFoundException.class);
                JsonNode adopted = a.client.call("key.adopt", params("token", "main", "keyId", keyId, "role", "root"));
                assertThat(adopted.get("tokenSerial").asText()).isEqualTo(a.token.serial());
                assertSignsAndVerifies(a, keyId, pub);
                assertThat(a.client
                                .call("key.list", Map.of())
                                .get("keys")
                                .get(0)
                                .get("keyId")
                                .asText())
                        .isEqualTo(keyId);
            }
        });
    }

    @Test
    void keyAdopt_deniedByPolicy_likeKeyImport() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                pkcs11ToolKeypair(h, "0b01", "k");
                h.start("prompt", """
            policy:
              rules:
                - name: keys-but-no-import
                  uids: [%d]
                  operations: [key.list, token.unlock]
            """.formatted(UnixAccounts.selfUid()));
                h.client.call("token.unlock", params("token", "main", "pin", KeysHarness.PIN));
                assertThat(h.client.call("key.scan", params("token", "main")).get("keys"))
                        .hasSize(1);
                assertThatThrownBy(() ->
                                h.client.call("key.adopt", params("token", "main", "ckaId", "0b01", "role", "root")))
                        .isInstanceOfSatisfying(
                                PolicyDeniedException.class,
                                e -> assertThat(e.getMessage()).contains("key.import"));
                assertThat(Files.readString(h.auditLog()))
                        .contains("\"key.adopt\"")
                        .contains("POLICY_DENIED");
            }
        });
    }
}
