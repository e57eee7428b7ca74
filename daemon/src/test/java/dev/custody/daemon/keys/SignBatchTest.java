package dev.custody.daemon.keys;

import static dev.custody.daemon.keys.KeysHarness.params;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.client.api.CustodyApi;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.BatchSignatures;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.PolicyDeniedException;
import dev.custody.testhsm.FaultShim;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sign.batch} against a real SoftHSM2 token behind the fault shim, through custodyd's socket. */
@Requires(Capability.LINUX)
class SignBatchTest {
    private static final Duration LIMIT = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static List<byte[]> payloads(int n) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(("payload " + i + " of " + n).getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    private static List<String> b64(List<byte[]> data) {
        return data.stream().map(d -> Base64.getEncoder().encodeToString(d)).toList();
    }

    /** SHA-256 over the items' SHA-256 digests, as the audit line records it. */
    private static String itemsSha256(List<byte[]> data) throws Exception {
        MessageDigest all = MessageDigest.getInstance("SHA-256");
        for (byte[] d : data) {
            all.update(MessageDigest.getInstance("SHA-256").digest(d));
        }
        return HexFormat.of().formatHex(all.digest());
    }

    private static boolean verify(PublicKey pub, byte[] msg, byte[] rawSig) throws Exception {
        Signature v = Signature.getInstance("SHA256withECDSAinP1363Format");
        v.initVerify(pub);
        v.update(msg);
        return v.verify(rawSig);
    }

    private static PublicKey publicKey(KeysHarness h, String keyId) throws Exception {
        for (JsonNode k : JSON.readTree(h.keysJson().toFile()).get("keys")) {
            if (k.get("keyId").asText().equals(keyId)) {
                return KeyFactory.getInstance("EC")
                        .generatePublic(new X509EncodedKeySpec(
                                Base64.getDecoder().decode(k.get("publicKey").asText())));
            }
        }
        throw new AssertionError("key " + keyId + " not in keys.json");
    }

    private static List<JsonNode> auditLines(KeysHarness h, String method) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        h.client.call("audit.tail", params("lines", 1000)).get("entries").forEach(e -> {
            if (e.get("method").asText().equals(method)) {
                out.add(e);
            }
        });
        return out;
    }

    @Test
    void batch_signaturesVerifyInOrder_oneAuditLinePerBatch() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                h.start("file:" + h.pinFile(KeysHarness.PIN), "");
                String keyId = h.generate("targets", "ci.example/app");
                PublicKey pub = publicKey(h, keyId);
                List<byte[]> data = payloads(64);
                long signInits = h.shim.calls("C_SignInit");

                BatchSignatures r = new CustodyApi(h.client).signBatch(keyId, data);
                assertThat(r.keyId()).isEqualTo(keyId);
                assertThat(r.method()).isEqualTo("ecdsa");
                assertThat(r.tokenSerial()).isEqualTo(h.token.serial());
                assertThat(r.signatures()).hasSize(64);
                for (int i = 0; i < data.size(); i++) {
                    assertThat(verify(pub, data.get(i), r.signature(i)))
                            .as("signature %d over payload %d", i, i)
                            .isTrue();
                }
                assertThat(verify(pub, data.get(1), r.signature(0)))
                        .as("signature 0 is not payload 1's")
                        .isFalse();
                assertThat(h.shim.calls("C_SignInit") - signInits)
                        .as("one C_SignInit per payload")
                        .isEqualTo(64);

                // a second batch of one: also exactly one line
                List<byte[]> one = payloads(1);
                JsonNode r1 = h.client.call("sign.batch", params("keyId", keyId, "data", b64(one)));
                assertThat(verify(
                                pub,
                                one.get(0),
                                Base64.getDecoder()
                                        .decode(r1.get("signatures").get(0).asText())))
                        .isTrue();

                List<JsonNode> lines = auditLines(h, "sign.batch");
                assertThat(lines).hasSize(2);
                JsonNode a = lines.get(0);
                assertThat(a.get("result").asText()).isEqualTo("ok");
                assertThat(a.get("keyId").asText()).isEqualTo(keyId);
                assertThat(a.get("gun").asText()).isEqualTo("ci.example/app");
                assertThat(a.get("role").asText()).isEqualTo("targets");
                assertThat(a.get("details").get("count").asInt()).isEqualTo(64);
                assertThat(a.get("details").get("itemsSha256").asText()).isEqualTo(itemsSha256(data));
                assertThat(a.get("details").get("tokenSerial").asText()).isEqualTo(h.token.serial());
                assertThat(lines.get(1).get("details").get("count").asInt()).isEqualTo(1);
                assertThat(lines.get(1).get("details").get("itemsSha256").asText())
                        .isEqualTo(itemsSha256(one));
                JsonNode v = h.client.call("audit.verify", Map.of());
                assertThat(v.get("ok").asBoolean()).as(v.toString()).isTrue();
            }
        });
    }

    @Test
    void batches_fromSeveralClientsAtOnce_eachSignedInOrder() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                h.start("file:" + h.pinFile(KeysHarness.PIN), "");
                String keyId = h.generate("targets", "ci.example/app");
                PublicKey pub = publicKey(h, keyId);
                int clients = 3;
                List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
                java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(clients);
                try {
                    for (int c = 0; c < clients; c++) {
                        int client = c;
                        results.add(pool.submit(() -> {
                            try (var cc = dev.custody.client.protocol.CustodyClient.connect(
                                    h.dir.resolve("run/custody.sock"), Duration.ofSeconds(60))) {
                                for (int round = 0; round < 3; round++) {
                                    List<byte[]> data = new ArrayList<>();
                                    for (int i = 0; i < 48; i++) {
                                        data.add(("client " + client + " round " + round + " item " + i)
                                                .getBytes(StandardCharsets.UTF_8));
                                    }
                                    BatchSignatures r = new CustodyApi(cc).signBatch(keyId, data);
                                    for (int i = 0; i < data.size(); i++) {
                                        if (!verify(pub, data.get(i), r.signature(i))) {
                                            return false;
                                        }
                                    }
                                }
                                return true;
                            }
                        }));
                    }
                    for (var f : results) {
                        assertThat(f.get())
                                .as("every signature verifies against its own payload")
                                .isTrue();
                    }
                } finally {
                    pool.shutdownNow();
                }
                assertThat(auditLines(h, "sign.batch"))
                        .hasSize(clients * 3)
                        .allSatisfy(
                                e -> assertThat(e.get("details").get("count").asInt())
                                        .isEqualTo(48));
                assertThat(h.client.call("audit.verify", Map.of()).get("ok").asBoolean())
                        .isTrue();
            }
        });
    }

    @Test
    void batch_policyIsSignRawsForTheKey() {
        long uid = UnixAccounts.selfUid();
        String policy = """
        policy:
          rules:
            - name: raw-for-ci
              uids: [%d]
              guns: ["ci.example/*"]
              operations: [sign.raw]
            - name: keys-and-audit
              uids: [%d]
              operations: [key.generate, key.list, audit.read]
        """.formatted(uid, uid);
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                h.start("file:" + h.pinFile(KeysHarness.PIN), policy);
                String ok = h.generate("targets", "ci.example/app");
                String no = h.generate("targets", "prod.example/app");
                List<String> data = b64(payloads(3));
                assertThat(h.client
                                .call("sign.batch", params("keyId", ok, "data", data))
                                .get("signatures"))
                        .hasSize(3);
                long signInits = h.shim.calls("C_SignInit");
                assertThatThrownBy(() -> h.client.call("sign.batch", params("keyId", no, "data", data)))
                        .isInstanceOf(PolicyDeniedException.class);
                assertThat(h.shim.calls("C_SignInit")).as("nothing signed").isEqualTo(signInits);
                List<JsonNode> lines = auditLines(h, "sign.batch");
                assertThat(lines).extracting(e -> e.get("result").asText()).containsExactly("ok", "POLICY_DENIED");
                assertThat(lines.get(1).get("gun").asText()).isEqualTo("prod.example/app");
            }
        });
    }

    @Test
    void batch_badRequestsSignNothing() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                h.start("file:" + h.pinFile(KeysHarness.PIN), "");
                String keyId = h.generate("targets", "ci.example/app");
                long signInits = h.shim.calls("C_SignInit");
                List<String> good = b64(payloads(3));
                List<String> badItem = new ArrayList<>(good);
                badItem.add(2, "not base64!");
                List<String> tooMany = b64(payloads(KeyMethods.MAX_BATCH_ITEMS + 1));
                List<Map<String, Object>> bad = List.of(
                        params("keyId", keyId, "data", List.of()),
                        params("keyId", keyId),
                        params("keyId", keyId, "data", "AQID"),
                        params("keyId", keyId, "data", badItem),
                        params("keyId", keyId, "data", tooMany),
                        params("keyId", keyId, "data", good, "extra", 1));
                for (Map<String, Object> p : bad) {
                    assertThatThrownBy(() -> h.client.call("sign.batch", p))
                            .as(p.keySet().toString())
                            .isInstanceOf(BadRequestException.class);
                }
                assertThatThrownBy(() -> h.client.call("sign.batch", params("keyId", keyId, "data", badItem)))
                        .hasMessageContaining("params.data[2]");
                assertThatThrownBy(() -> h.client.call("sign.batch", params("keyId", keyId, "data", tooMany)))
                        .hasMessageContaining("at most " + KeyMethods.MAX_BATCH_ITEMS);
                assertThat(h.shim.calls("C_SignInit")).as("nothing signed").isEqualTo(signInits);
                List<JsonNode> lines = auditLines(h, "sign.batch");
                assertThat(lines)
                        .isNotEmpty()
                        .allSatisfy(e -> assertThat(e.get("result").asText()).isEqualTo("BAD_REQUEST"));
                assertThat(lines)
                        .noneSatisfy(e ->
                                assertThat(e.path("details").has("itemsSha256")).isTrue());
                assertThat(h.client.call("audit.verify", Map.of()).get("ok").asBoolean())
                        .isTrue();
            }
        });
    }

    @Test
    void batch_tokenFaultMidBatchFailsTheWholeBatchWithOneAuditLine() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (KeysHarness h = new KeysHarness(dir)) {
                h.start("file:" + h.pinFile(KeysHarness.PIN), "");
                String keyId = h.generate("targets", "ci.example/app");
                PublicKey pub = publicKey(h, keyId);
                List<byte[]> data = payloads(16);
                h.client.call(
                        "sign.batch", params("keyId", keyId, "data", b64(payloads(1)))); // key handle cached, logged in
                long signInits = h.shim.calls("C_SignInit");
                h.shim.failNthCall("C_SignInit", 6, FaultShim.CKR_DEVICE_ERROR);
                CustodyException err = (CustodyException) org.assertj.core.api.Assertions.catchThrowable(
                        () -> h.client.call("sign.batch", params("keyId", keyId, "data", b64(data))));
                assertThat(err).isNotNull().isNotInstanceOf(BadRequestException.class);
                assertThat(err.getMessage()).contains("CKR_DEVICE_ERROR");
                assertThat(h.shim.calls("C_SignInit") - signInits)
                        .as("items 0-4 signed, item 5 failed, none after")
                        .isEqualTo(6);

                List<JsonNode> lines = auditLines(h, "sign.batch");
                assertThat(lines).hasSize(2);
                JsonNode failed = lines.get(1);
                assertThat(failed.get("result").asText()).isEqualTo(err.code().name());
                assertThat(failed.get("keyId").asText()).isEqualTo(keyId);
                assertThat(failed.get("details").get("count").asInt()).isEqualTo(16);
                assertThat(failed.get("details").get("itemsSha256").asText()).isEqualTo(itemsSha256(data));
                assertThat(failed.get("message").asText()).contains("CKR_DEVICE_ERROR");

                // the fault was once: the same batch signs now, on a pooled session that is still usable
                BatchSignatures r = new CustodyApi(h.client).signBatch(keyId, data);
                for (int i = 0; i < data.size(); i++) {
                    assertThat(verify(pub, data.get(i), r.signature(i))).isTrue();
                }

                // C_Sign itself fails mid-batch (the 7th call from now): the batch fails, the items after it are not
                // signed
                signInits = h.shim.calls("C_SignInit");
                h.shim.failNthCall("C_Sign", 7, FaultShim.CKR_DEVICE_ERROR);
                assertThatThrownBy(() -> h.client.call("sign.batch", params("keyId", keyId, "data", b64(data))))
                        .isInstanceOf(CustodyException.class)
                        .hasMessageContaining("C_Sign")
                        .hasMessageContaining("CKR_DEVICE_ERROR");
                assertThat(h.shim.calls("C_SignInit") - signInits)
                        .as("stopped at the failed item")
                        .isBetween(1L, 7L);
                assertThat(auditLines(h, "sign.batch"))
                        .extracting(e -> e.get("result").asText())
                        .containsExactly(
                                "ok", err.code().name(), "ok", err.code().name());
                assertThat(h.client.call("audit.verify", Map.of()).get("ok").asBoolean())
                        .isTrue();
            }
        });
    }
}
