package dev.custody.daemon.keys;

import static dev.custody.daemon.keys.KeysHarness.params;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.Pkcs11;
import dev.custody.pkcs11.Pkcs11Backend;
import dev.custody.pkcs11.PrivateKeyAttributes;
import dev.custody.pkcs11.TokenSelector;
import dev.custody.protocol.PinIncorrectException;
import dev.custody.protocol.PinRequiredException;
import dev.custody.protocol.PolicyDeniedException;
import dev.custody.protocol.TokenAbsentException;
import dev.custody.testhsm.NotaryCli;
import dev.custody.tuf.sign.EcdsaSignatures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Requires(Capability.LINUX)
class KeyMethodsTest {
    private static final Duration LIMIT = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void tokenUnlock_wrongPinOnceThenUnlockAndLock() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir).start("prompt", "")) {
                JsonNode list = h.client.call("token.list", Map.of());
                JsonNode t = list.get("tokens").get(0);
                assertThat(t.get("name").asText()).isEqualTo("main");
                assertThat(t.get("label").asText()).isEqualTo(h.token.label());
                assertThat(t.get("serial").asText()).isEqualTo(h.token.serial());
                assertThat(t.get("present").asBoolean()).isTrue();
                assertThat(t.get("unlocked").asBoolean()).isFalse();
                assertThat(t.get("keys").asInt()).isZero();

                assertThatThrownBy(
                                () -> h.client.call("key.generate", params("role", "targets", "gun", "r.example/app")))
                        .isInstanceOf(PinRequiredException.class);

                long logins = h.shim.calls("C_Login");
                assertThatThrownBy(() ->
                                h.client.call("token.unlock", params("token", "main", "pin", KeysHarness.WRONG_PIN)))
                        .isInstanceOfSatisfying(PinIncorrectException.class, e -> {
                            assertThat(e.token()).isEqualTo("main");
                            // the token's flags read after the failure: SoftHSM2 sets CKF_USER_PIN_COUNT_LOW at once
                            assertThat(e.countLow()).isTrue();
                            assertThat(e.finalTry()).isFalse();
                            assertThat(e.getMessage()).doesNotContain(KeysHarness.WRONG_PIN);
                        });
                assertThat(h.shim.calls("C_Login"))
                        .as("a wrong PIN is tried exactly once")
                        .isEqualTo(logins + 1);
                assertThatThrownBy(() -> h.client.call("key.generate", params("role", "targets")))
                        .as("the wrong PIN is not kept")
                        .isInstanceOf(PinRequiredException.class);
                assertThat(h.shim.calls("C_Login")).isEqualTo(logins + 1);

                JsonNode u = h.client.call(
                        "token.unlock", params("token", "serial:" + h.token.serial(), "pin", KeysHarness.PIN));
                assertThat(u.get("token").asText()).isEqualTo("main");
                assertThat(u.get("unlockedUntil").asText()).isNotEmpty();
                assertThat(h.client
                                .call("token.list", Map.of())
                                .get("tokens")
                                .get(0)
                                .get("unlocked")
                                .asBoolean())
                        .isTrue();
                JsonNode k = h.client.call("key.generate", params("role", "targets", "gun", "r.example/app"));
                assertThat(k.get("tokenSerial").asText()).isEqualTo(h.token.serial());

                assertThat(h.client
                                .call("token.lock", params("token", h.token.label()))
                                .get("token")
                                .asText())
                        .isEqualTo("main");
                assertThat(h.client
                                .call("token.list", Map.of())
                                .get("tokens")
                                .get(0)
                                .get("unlocked")
                                .asBoolean())
                        .isFalse();
                assertThatThrownBy(() -> h.client.call(
                                "sign.raw",
                                params(
                                        "keyId",
                                        k.get("keyId").asText(),
                                        "data",
                                        Base64.getEncoder().encodeToString(new byte[] {1}))))
                        .isInstanceOf(PinRequiredException.class);
            }
        });
    }

    @Test
    void configuredPin_wrongIsTriedOnceAndNotAgain() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                h.start("file:" + h.pinFile(KeysHarness.WRONG_PIN), "");
                long logins = h.shim.calls("C_Login");
                assertThatThrownBy(() -> h.client.call("key.generate", params("role", "targets")))
                        .isInstanceOf(PinIncorrectException.class);
                assertThat(h.shim.calls("C_Login")).isEqualTo(logins + 1);
                assertThatThrownBy(() -> h.client.call("key.generate", params("role", "targets")))
                        .isInstanceOf(PinRequiredException.class)
                        .hasMessageContaining("rejected earlier");
                assertThat(h.shim.calls("C_Login"))
                        .as("the rejected PIN file is not tried again")
                        .isEqualTo(logins + 1);
                // a PIN given with token.unlock replaces it
                h.client.call("token.unlock", params("token", "main", "pin", KeysHarness.PIN));
                assertThat(h.client
                                .call("key.generate", params("role", "targets"))
                                .get("keyId")
                                .asText())
                        .hasSize(64);
            }
        });
    }

    @Test
    void tokenUnlock_pinCacheExpires() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir).start("prompt", "pinCacheTime: 1500ms")) {
                h.client.call("token.unlock", params("token", "main", "pin", KeysHarness.PIN));
                JsonNode k = h.client.call("key.generate", params("role", "snapshot", "gun", "r.example/app"));
                String data = Base64.getEncoder().encodeToString("hello".getBytes(StandardCharsets.UTF_8));
                h.client.call("sign.raw", params("keyId", k.get("keyId").asText(), "data", data));
                Thread.sleep(2500);
                assertThat(h.client
                                .call("token.list", Map.of())
                                .get("tokens")
                                .get(0)
                                .has("unlockedUntil"))
                        .isFalse();
                assertThatThrownBy(() -> h.client.call(
                                "sign.raw", params("keyId", k.get("keyId").asText(), "data", data)))
                        .isInstanceOf(PinRequiredException.class);
            }
        });
    }

    @Test
    void token_absentAtStartThenInserted() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                h.shim.setTokenPresent(false);
                h.start("file:" + h.pinFile(KeysHarness.PIN), "");
                JsonNode t = h.client.call("token.list", Map.of()).get("tokens").get(0);
                assertThat(t.get("present").asBoolean()).isFalse();
                assertThatThrownBy(() -> h.client.call("key.generate", params("role", "targets")))
                        .isInstanceOfSatisfying(
                                TokenAbsentException.class,
                                e -> assertThat(e.token()).isEqualTo("main"));

                h.shim.setTokenPresent(true);
                assertThat(h.client
                                .call("token.list", Map.of())
                                .get("tokens")
                                .get(0)
                                .get("present")
                                .asBoolean())
                        .isTrue();
                JsonNode k = h.client.call("key.generate", params("role", "targets", "gun", "r.example/app"));
                assertThat(k.get("present").asBoolean()).isTrue();

                h.shim.setTokenPresent(false);
                JsonNode keys = h.client.call("key.list", Map.of()).get("keys");
                assertThat(keys).hasSize(1);
                assertThat(keys.get(0).get("present").asBoolean()).isFalse();
                String data = Base64.getEncoder().encodeToString(new byte[] {7});
                assertThatThrownBy(() -> h.client.call(
                                "sign.raw", params("keyId", k.get("keyId").asText(), "data", data)))
                        .isInstanceOf(TokenAbsentException.class);
                h.shim.setTokenPresent(true);
                assertThat(h.client
                                .call("sign.raw", params("keyId", k.get("keyId").asText(), "data", data))
                                .get("signature")
                                .asText())
                        .isNotEmpty();
            }
        });
    }

    @Test
    void key_generateListSignRemove() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                h.start("file:" + h.pinFile(KeysHarness.PIN), "");
                JsonNode a = h.client.call("key.generate", params("role", "targets", "gun", "r.example/app"));
                JsonNode b = h.client.call("key.generate", params("role", "root", "token", "main"));
                assertThat(a.get("algorithm").asText()).isEqualTo("ecdsa");
                assertThat(a.get("keyId").asText()).matches("[0-9a-f]{64}");
                assertThat(b.has("gun")).isFalse();

                JsonNode all = h.client.call("key.list", Map.of()).get("keys");
                assertThat(all).hasSize(2);
                JsonNode forGun = h.client
                        .call("key.list", params("gun", "r.example/app"))
                        .get("keys");
                assertThat(forGun).hasSize(1);
                assertThat(forGun.get(0).get("keyId").asText())
                        .isEqualTo(a.get("keyId").asText());

                JsonNode inv = JSON.readTree(h.keysJson().toFile()).get("keys");
                JsonNode entry = Stream.of(inv.get(0), inv.get(1))
                        .filter(e -> e.get("keyId").equals(a.get("keyId")))
                        .findFirst()
                        .orElseThrow();
                assertThat(entry.get("ckaId").asText())
                        .as("CKA_ID is the TUF key ID")
                        .isEqualTo(a.get("keyId").asText());
                assertThat(entry.get("label").asText()).isEqualTo("r.example/app/targets");
                assertThat(entry.get("tokenSerial").asText()).isEqualTo(h.token.serial());

                byte[] msg = "signed through the socket".getBytes(StandardCharsets.UTF_8);
                JsonNode s = h.client.call(
                        "sign.raw",
                        params(
                                "keyId",
                                a.get("keyId").asText(),
                                "data",
                                Base64.getEncoder().encodeToString(msg)));
                assertThat(s.get("method").asText()).isEqualTo("ecdsa");
                PublicKey pub = KeyFactory.getInstance("EC")
                        .generatePublic(new X509EncodedKeySpec(Base64.getDecoder()
                                .decode(entry.get("publicKey").asText())));
                assertThat(verify(
                                pub,
                                msg,
                                Base64.getDecoder().decode(s.get("signature").asText())))
                        .isTrue();

                assertThat(h.client
                                .call(
                                        "key.remove",
                                        params("keyId", a.get("keyId").asText()))
                                .get("keyId")
                                .asText())
                        .isEqualTo(a.get("keyId").asText());
                assertThat(h.client.call("key.list", Map.of()).get("keys")).hasSize(1);
                assertThatThrownBy(() -> h.client.call(
                                "sign.raw", params("keyId", a.get("keyId").asText(), "data", "AA==")))
                        .isInstanceOf(dev.custody.protocol.NotFoundException.class);
            }
        });
    }

    @Test
    void keyImport_notaryCliKey() {
        assertTimeoutPreemptively(LIMIT, () -> {
            NotaryCli notary = NotaryCli.create(dir.resolve("notary"), "https://127.0.0.1:1", null);
            String out = notary.ok("key", "generate", "ecdsa", "--role", "targets");
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("keyID: ([0-9a-f]{64})").matcher(out);
            assertThat(m.find()).as(out).isTrue();
            String notaryId = m.group(1);
            Path keyFile = notary.trustDir().resolve("private").resolve(notaryId + ".key");
            String pem = Files.readString(keyFile);
            assertThat(pem).contains("ENCRYPTED PRIVATE KEY").contains("role: targets");

            try (KeysHarness h = new KeysHarness(dir)) {
                h.start("file:" + h.pinFile(KeysHarness.PIN), "");
                assertThatThrownBy(() -> h.client.call("key.import", params("pem", pem, "passphrase", "wrong")))
                        .isInstanceOf(dev.custody.protocol.BadRequestException.class)
                        .hasMessageContaining("passphrase");
                JsonNode k = h.client.call(
                        "key.import",
                        params("pem", pem, "passphrase", NotaryCli.DEFAULT_PASSPHRASE, "gun", "r.example/app"));
                assertThat(k.get("keyId").asText()).isEqualTo(notaryId);
                assertThat(k.get("role").asText()).isEqualTo("targets");
                assertThat(k.get("softwareCopyNote").asText()).contains("delete it yourself");
                assertThat(Files.exists(keyFile))
                        .as("the software copy is the user's to delete")
                        .isTrue();

                byte[] msg = "migrated".getBytes(StandardCharsets.UTF_8);
                JsonNode s = h.client.call(
                        "sign.raw",
                        params("keyId", notaryId, "data", Base64.getEncoder().encodeToString(msg)));
                PublicKey notaryPub = TrustDirKey.read(pem, NotaryCli.DEFAULT_PASSPHRASE.toCharArray())
                        .publicKey();
                assertThat(verify(
                                notaryPub,
                                msg,
                                Base64.getDecoder().decode(s.get("signature").asText())))
                        .isTrue();
                assertThatThrownBy(() -> h.client.call(
                                "key.import", params("pem", pem, "passphrase", NotaryCli.DEFAULT_PASSPHRASE)))
                        .isInstanceOf(dev.custody.protocol.ConflictException.class);

                // on the token: CKA_ID = the key ID, and the same protection as a key generated there
                String generated = h.generate("snapshot", "r.example/app");
                try (Pkcs11Backend b = Pkcs11.open(h.shim.modulePath());
                        HsmToken t = b.open(
                                TokenSelector.byLabel(h.token.label()), PinSource.of(KeysHarness.PIN.toCharArray()))) {
                    t.login();
                    for (String id : List.of(notaryId, generated)) {
                        PrivateKeyAttributes a =
                                t.privateKeyAttributes(HexFormat.of().parseHex(id));
                        assertThat(a.custodyCompliant()).as("key %s: %s", id, a).isTrue();
                    }
                    assertThat(t.findKey(HexFormat.of().parseHex(notaryId))
                                    .orElseThrow()
                                    .label())
                            .isEqualTo("r.example/app/targets");
                }
            }
        });
    }

    @Test
    void signRaw_allowedAndDeniedByPolicy() {
        long uid = UnixAccounts.selfUid();
        String policy = """
        policy:
          rules:
            - name: raw-for-ci
              uids: [%d]
              guns: ["ci.example/*"]
              operations: [sign.raw]
            - name: no-raw
              uids: [%d]
              operations: [sign.raw]
              effect: deny
            - name: admin
              uids: [%d]
        """.formatted(uid, uid, uid);
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                h.start("file:" + h.pinFile(KeysHarness.PIN), policy);
                String ok = h.generate("targets", "ci.example/app");
                String no = h.generate("targets", "prod.example/app");
                String data = Base64.getEncoder().encodeToString(new byte[] {1, 2, 3});
                assertThat(h.client
                                .call("sign.raw", params("keyId", ok, "data", data))
                                .get("keyId")
                                .asText())
                        .isEqualTo(ok);
                assertThatThrownBy(() -> h.client.call("sign.raw", params("keyId", no, "data", data)))
                        .isInstanceOfSatisfying(
                                PolicyDeniedException.class,
                                e -> assertThat(e.rule()).contains("no-raw"));
                JsonNode rules = h.client.call("policy.show", Map.of()).get("rules");
                assertThat(rules).hasSize(3);
                assertThat(rules.get(1).get("effect").asText()).isEqualTo("deny");
            }
        });
    }

    @Test
    void audit_keyEventsAndSignaturesRecordedWithoutPin() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir).start("prompt", "")) {
                assertThatThrownBy(() ->
                                h.client.call("token.unlock", params("token", "main", "pin", KeysHarness.WRONG_PIN)))
                        .isInstanceOf(PinIncorrectException.class);
                h.client.call("token.unlock", params("token", "main", "pin", KeysHarness.PIN));
                String keyId = h.generate("targets", "r.example/app");
                h.client.call("sign.raw", params("keyId", keyId, "data", "AQID"));
                h.client.call("key.remove", params("keyId", keyId));
                // a repository operation's signer (KeyService) audits by itself
                KeyService ks = h.keys.keyService();
                var signer = ks.signerFactory(java.util.Optional.empty()).generate("r.example/app", "snapshot");
                signer.sign("metadata".getBytes(StandardCharsets.UTF_8));
                assertThat(ks.keysFor("r.example/app"))
                        .extracting(KeyService.KeyRecord::keyId)
                        .containsExactly(signer.keyId());
                assertThat(ks.findSigner(signer.keyId())).isPresent();

                JsonNode entries =
                        h.client.call("audit.tail", params("lines", 50)).get("entries");
                List<JsonNode> lines = new java.util.ArrayList<>();
                entries.forEach(lines::add);
                JsonNode gen = lines.stream()
                        .filter(e -> e.get("method").asText().equals("key.generate")
                                && e.path("keyId").asText().equals(keyId))
                        .findFirst()
                        .orElseThrow();
                assertThat(gen.get("gun").asText()).isEqualTo("r.example/app");
                assertThat(gen.get("role").asText()).isEqualTo("targets");
                assertThat(gen.get("details").get("tokenSerial").asText()).isEqualTo(h.token.serial());
                JsonNode raw = lines.stream()
                        .filter(e -> e.get("method").asText().equals("sign.raw"))
                        .findFirst()
                        .orElseThrow();
                assertThat(raw.get("keyId").asText()).isEqualTo(keyId);
                assertThat(raw.get("gun").asText()).isEqualTo("r.example/app");
                assertThat(raw.get("details").get("tokenSerial").asText()).isEqualTo(h.token.serial());
                assertThat(lines.stream()
                                .filter(e -> e.get("method").asText().equals("key.remove")
                                        && e.path("keyId").asText().equals(keyId)))
                        .hasSize(1);
                assertThat(lines.stream().filter(e -> e.get("method").asText().equals("token.unlock")))
                        .extracting(e -> e.get("result").asText())
                        .containsExactly("PIN_INCORRECT", "ok");
                JsonNode repoSig = lines.stream()
                        .filter(e -> e.get("method").asText().equals("sign"))
                        .findFirst()
                        .orElseThrow();
                assertThat(repoSig.get("keyId").asText()).isEqualTo(signer.keyId());
                assertThat(repoSig.get("role").asText()).isEqualTo("snapshot");
                assertThat(repoSig.get("details").get("tokenSerial").asText()).isEqualTo(h.token.serial());

                JsonNode v = h.client.call("audit.verify", Map.of());
                assertThat(v.get("ok").asBoolean()).isTrue();
                assertThat(v.get("lines").asLong()).isGreaterThan(5);

                String audit = Files.readString(h.auditLog());
                assertThat(audit).doesNotContain(KeysHarness.PIN).doesNotContain(KeysHarness.WRONG_PIN);
                assertThat(h.log.lines())
                        .as("the daemon logged (so the search below means something)")
                        .isNotEmpty();
                assertThat(String.join("\n", h.log.lines()))
                        .doesNotContain(KeysHarness.PIN)
                        .doesNotContain(KeysHarness.WRONG_PIN);
                assertThat(Files.readString(h.keysJson())).doesNotContain(KeysHarness.PIN);
            }
        });
    }

    static boolean verify(PublicKey pub, byte[] msg, byte[] rawSig) throws Exception {
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(pub);
        v.update(msg);
        return v.verify(EcdsaSignatures.rawToDer(rawSig));
    }
}
