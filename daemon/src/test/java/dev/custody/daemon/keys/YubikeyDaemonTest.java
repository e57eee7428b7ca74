package dev.custody.daemon.keys;

import static dev.custody.daemon.keys.KeysHarness.params;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.Daemon;
import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.RawConnection;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.Notice;
import dev.custody.protocol.PinIncorrectException;
import dev.custody.testhsm.Closeables;
import dev.custody.testhsm.DaemonYaml;
import dev.custody.testhsm.LogCapture;
import dev.custody.testhsm.SoftHsm;
import dev.custody.testhsm.piv.PivCard;
import dev.custody.testhsm.piv.RequiresYubikeyEmulator;
import dev.custody.testhsm.piv.YubikeyEmulator;
import dev.custody.tuf.sign.EcdsaSignatures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * custodyd with {@code profile: yubikey} tokens over emulated YubiKeys (test-hsm {@code PivCard}) driven
 * by the real ykcs11 through an isolated pcscd, next to a SoftHSM2 token. One daemon for the class;
 * each test uses its own PIV slots.
 */
@Requires(Capability.LINUX)
@RequiresYubikeyEmulator
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class YubikeyDaemonTest {
    private static final Duration LIMIT = Duration.ofSeconds(120);
    /** Default management key: the config says {@code managementKey: default}. */
    private static final int CARD_A = 10000101;
    /** Its own management key, from a file. */
    private static final int CARD_B = 10000102;
    /** Default key on the card, a wrong one in the config's file. */
    private static final int CARD_C = 10000103;

    private static final String MGM_B = "8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978";
    private static final String WRONG_MGM = "00112233445566778899aabbccddeeff0011223344556677";
    private static final Duration TOUCH_DELAY = Duration.ofMillis(1500);

    @TempDir
    static Path dir;

    private YubikeyEmulator emulator;
    private Daemon daemon;
    private CustodyClient client;
    private LogCapture log;

    @BeforeAll
    void start() throws Exception {
        emulator = YubikeyEmulator.builder()
                .card(PivCard.builder(CARD_A))
                .card(PivCard.builder(CARD_B).managementKey(HexFormat.of().parseHex(MGM_B)))
                .card(PivCard.builder(CARD_C))
                .start();
        emulator.requireUsableInThisProcess();
        SoftHsm.Token soft = SoftHsm.forThisProcess()
                .createToken(
                        "yk-daemon-" + UUID.randomUUID().toString().substring(0, 8), SoftHsm.DEFAULT_SO_PIN, "739152");
        Path pin = Files.writeString(dir.resolve("yk-pin"), PivCard.DEFAULT_PIN + "\n");
        Path softPin = Files.writeString(dir.resolve("soft-pin"), "739152\n");
        Path mgmB = Files.writeString(dir.resolve("mgm-b"), MGM_B + "\n");
        Path mgmC = Files.writeString(dir.resolve("mgm-c"), WRONG_MGM + "\n");
        log = LogCapture.start();
        DaemonConfig config = ConfigLoader.parse(
                DaemonYaml.in(dir)
                        .token("soft", SoftHsm.MODULE, soft.label(), "file:" + softPin)
                        .yubikey("yk-a", YubikeyEmulator.YKCS11, CARD_A, "file:" + pin, "default")
                        // yk-b's serial unquoted: a YAML number is a serial too
                        .tokens("""
                  - name: yk-b
                    profile: yubikey
                    module: %s
                    serial: %d
                    pin: file:%s
                    managementKey: file:%s
                """.formatted(YubikeyEmulator.YKCS11, CARD_B, pin, mgmB))
                        .yubikey("yk-c", YubikeyEmulator.YKCS11, CARD_C, "file:" + pin, "file:" + mgmC)
                        .text(),
                dir.resolve("custodyd.yaml"),
                ConfigLoader.Accounts.SYSTEM);
        daemon = Daemon.start(config, Map.of(), List.of(new KeysExtension()), Clock.systemUTC());
        client = CustodyClient.connect(dir.resolve("run/custody.sock"), Duration.ofSeconds(60));
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (client != null) {
                client.close();
            }
            if (daemon != null) {
                daemon.stop();
            }
        } finally {
            Closeables.closeAll(log, emulator);
        }
    }

    private static PublicKey publicKey(JsonNode keyInfo) throws Exception {
        String pem = keyInfo.get("publicKey").asText();
        String b64 = pem.lines()
                .filter(l -> !l.startsWith("-----") && !l.contains(":") && !l.isBlank())
                .reduce("", String::concat);
        return KeyFactory.getInstance("EC")
                .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(b64)));
    }

    private static boolean verifiesRaw(PublicKey key, byte[] message, byte[] raw) throws Exception {
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(key);
        v.update(message);
        return v.verify(EcdsaSignatures.rawToDer(raw));
    }

    private static String signRawLine(long id, String keyId, byte[] data) {
        return "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"sign.raw\",\"params\":{\"keyId\":\"" + keyId
                + "\",\"data\":\"" + Base64.getEncoder().encodeToString(data) + "\"}}\n";
    }

    /** Every line the daemon sends for one request, up to and including the reply (the line with an id). */
    private List<JsonNode> linesUntilReply(RawConnection c) throws Exception {
        List<JsonNode> lines = new ArrayList<>();
        while (true) {
            JsonNode n = c.read();
            assertThat(n).as("the daemon answers").isNotNull();
            lines.add(n);
            if (n.has("id")) {
                return lines;
            }
        }
    }

    @Test
    void signRaw_touchPolicyAlways_touchNoticeBeforeTheReply_andTheReplyVerifies() {
        assertTimeoutPreemptively(LIMIT, () -> {
            JsonNode k = client.call("key.generate", params("role", "root", "token", "yk-a", "slot", "9c"));
            assertThat(k.get("slot").asText()).isEqualTo("9c");
            assertThat(k.get("tokenSerial").asText()).isEqualTo(Integer.toString(CARD_A));
            PublicKey pub = publicKey(k);
            assertThat(pub)
                    .isEqualTo(emulator.card(CARD_A)
                            .publicKey(PivCard.SLOT_SIGNATURE)
                            .orElseThrow());
            String keyId = k.get("keyId").asText();

            PivCard card = emulator.card(CARD_A);
            card.setTouchPolicy(PivCard.SLOT_SIGNATURE, PivCard.TouchPolicy.ALWAYS);
            card.setTouchDelay(TOUCH_DELAY);
            try {
                byte[] data = "root.json v1".getBytes(StandardCharsets.UTF_8);
                int before = card.signatures(PivCard.SLOT_SIGNATURE);
                List<JsonNode> lines;
                try (RawConnection raw = new RawConnection(dir.resolve("run/custody.sock"))) {
                    raw.socket().setSoTimeout(60_000);
                    raw.send(signRawLine(7, keyId, data));
                    lines = linesUntilReply(raw);
                }
                // the touch notice, then (optionally) touch.done, then the reply: never after it
                assertThat(lines.size()).isGreaterThanOrEqualTo(2);
                JsonNode notice = lines.get(0);
                assertThat(notice.has("id")).isFalse();
                assertThat(notice.get("jsonrpc").asText()).isEqualTo("2.0");
                assertThat(notice.get("method").asText()).isEqualTo("notice");
                JsonNode p = notice.get("params");
                assertThat(p.get("kind").asText()).isEqualTo("touch");
                assertThat(p.get("token").asText()).isEqualTo("yk-a");
                assertThat(p.get("serial").asText()).isEqualTo(Integer.toString(CARD_A));
                assertThat(p.get("slot").asText()).isEqualTo("9c");
                assertThat(p.get("keyId").asText()).isEqualTo(keyId);
                assertThat(p.get("message").asText()).isEqualTo("touch the YubiKey with serial " + CARD_A);
                assertThat(lines.subList(1, lines.size() - 1))
                        .allSatisfy(n ->
                                assertThat(n.get("params").get("kind").asText()).isEqualTo("touch.done"));
                JsonNode reply = lines.get(lines.size() - 1);
                assertThat(reply.get("id").asLong()).isEqualTo(7);
                assertThat(reply.has("error")).as(reply.toString()).isFalse();
                byte[] sig = Base64.getDecoder()
                        .decode(reply.get("result").get("signature").asText());
                assertThat(verifiesRaw(pub, data, sig)).isTrue();
                assertThat(card.signatures(PivCard.SLOT_SIGNATURE)).isEqualTo(before + 1);

                // the client library hands the notices to its listener and returns the result
                List<Notice> notices = new CopyOnWriteArrayList<>();
                client.onNotice(notices::add);
                try {
                    JsonNode r = client.call(
                            "sign.raw",
                            params("keyId", keyId, "data", Base64.getEncoder().encodeToString(data)));
                    assertThat(verifiesRaw(
                                    pub,
                                    data,
                                    Base64.getDecoder()
                                            .decode(r.get("signature").asText())))
                            .isTrue();
                } finally {
                    client.onNotice(null);
                }
                assertThat(notices).extracting(Notice::kind).startsWith("touch");
                assertThat(notices.get(0).message()).contains("touch the YubiKey with serial " + CARD_A);

                // the audit log records that a touch was requested, for the caller, with the slot
                List<String> audit = Files.readAllLines(dir.resolve("state/audit.log"));
                assertThat(audit)
                        .filteredOn(l -> l.contains("\"method\":\"touch\""))
                        .hasSizeGreaterThanOrEqualTo(2)
                        .allSatisfy(l -> assertThat(l)
                                .contains("\"result\":\"requested\"")
                                .contains("\"keyId\":\"" + keyId)
                                .contains("\"slot\":\"9c\"")
                                .contains("\"tokenSerial\":\"" + CARD_A + "\"")
                                .contains("\"uid\":" + dev.custody.daemon.policy.UnixAccounts.selfUid()));
                assertThat(log.messages()).anyMatch(l -> l.contains("touch the YubiKey with serial " + CARD_A));
            } finally {
                card.setTouchPolicy(PivCard.SLOT_SIGNATURE, PivCard.TouchPolicy.NEVER);
                card.setTouchDelay(Duration.ZERO);
            }
        });
    }

    @Test
    void signRaw_noTouchPolicy_noNotice() {
        assertTimeoutPreemptively(LIMIT, () -> {
            JsonNode k = client.call(
                    "key.generate", params("role", "targets", "gun", "r.example/app", "token", "yk-a", "slot", "9a"));
            assertThat(k.get("slot").asText()).isEqualTo("9a");
            byte[] data = "targets.json".getBytes(StandardCharsets.UTF_8);
            try (RawConnection raw = new RawConnection(dir.resolve("run/custody.sock"))) {
                raw.send(signRawLine(3, k.get("keyId").asText(), data));
                List<JsonNode> lines = linesUntilReply(raw);
                assertThat(lines).as("only the reply").hasSize(1);
                byte[] sig = Base64.getDecoder()
                        .decode(lines.get(0).get("result").get("signature").asText());
                assertThat(verifiesRaw(publicKey(k), data, sig)).isTrue();
            }
        });
    }

    @Test
    void generate_twoYubikeys_keysLandOnTheCardNamedBySerial() {
        assertTimeoutPreemptively(LIMIT, () -> {
            JsonNode a = client.call("key.generate", params("role", "root", "token", "yk-a", "slot", "82"));
            JsonNode b = client.call("key.generate", params("role", "root", "token", "serial:" + CARD_B, "slot", "82"));
            assertThat(a.get("tokenSerial").asText()).isEqualTo(Integer.toString(CARD_A));
            assertThat(b.get("tokenSerial").asText()).isEqualTo(Integer.toString(CARD_B));
            assertThat(b.get("token").asText()).isEqualTo("yk-b");
            ECPublicKey onA =
                    emulator.card(CARD_A).publicKey(PivCard.SLOT_RETIRED_FIRST).orElseThrow();
            ECPublicKey onB =
                    emulator.card(CARD_B).publicKey(PivCard.SLOT_RETIRED_FIRST).orElseThrow();
            assertThat(publicKey(a)).isEqualTo(onA);
            assertThat(publicKey(b)).isEqualTo(onB);
            assertThat(onA).isNotEqualTo(onB);

            // key.list names token, serial and slot
            JsonNode keys = client.call("key.list", Map.of()).get("keys");
            JsonNode listedB = null;
            for (JsonNode n : keys) {
                if (n.get("keyId").asText().equals(b.get("keyId").asText())) {
                    listedB = n;
                }
            }
            assertThat(listedB).isNotNull();
            assertThat(listedB.get("token").asText()).isEqualTo("yk-b");
            assertThat(listedB.get("tokenSerial").asText()).isEqualTo(Integer.toString(CARD_B));
            assertThat(listedB.get("slot").asText()).isEqualTo("82");

            // signatures go to the right card
            byte[] data = "snapshot.json".getBytes(StandardCharsets.UTF_8);
            int signedA = emulator.card(CARD_A).signatures(PivCard.SLOT_RETIRED_FIRST);
            JsonNode r = client.call(
                    "sign.raw",
                    params(
                            "keyId",
                            b.get("keyId").asText(),
                            "data",
                            Base64.getEncoder().encodeToString(data)));
            assertThat(verifiesRaw(
                            onB,
                            data,
                            Base64.getDecoder().decode(r.get("signature").asText())))
                    .isTrue();
            assertThat(emulator.card(CARD_B).signatures(PivCard.SLOT_RETIRED_FIRST))
                    .isEqualTo(1);
            assertThat(emulator.card(CARD_A).signatures(PivCard.SLOT_RETIRED_FIRST))
                    .isEqualTo(signedA);
        });
    }

    @Test
    void generate_occupiedSlotOrSlotOnAnotherToken_refusedAndNothingChanges() {
        assertTimeoutPreemptively(LIMIT, () -> {
            JsonNode k = client.call("key.generate", params("role", "root", "token", "yk-b", "slot", "9d"));
            ECPublicKey before =
                    emulator.card(CARD_B).publicKey(PivCard.SLOT_KEY_MANAGEMENT).orElseThrow();
            assertThat(publicKey(k)).isEqualTo(before);
            int keysBefore = client.call("key.list", Map.of()).get("keys").size();

            assertThatThrownBy(() -> client.call("key.generate", params("role", "root", "token", "yk-b", "slot", "9d")))
                    .isInstanceOf(ConflictException.class)
                    .hasMessageContaining("slot 9d")
                    .hasMessageContaining(
                            "already holds a key (key " + k.get("keyId").asText())
                    .hasMessageContaining("never overwrites");
            assertThat(emulator.card(CARD_B)
                            .publicKey(PivCard.SLOT_KEY_MANAGEMENT)
                            .orElseThrow())
                    .isEqualTo(before);

            assertThatThrownBy(() -> client.call("key.generate", params("role", "root", "token", "soft", "slot", "9c")))
                    .isInstanceOf(BadRequestException.class)
                    .hasMessageContaining("not a YubiKey");
            assertThatThrownBy(() -> client.call("key.generate", params("role", "root", "token", "yk-b", "slot", "9b")))
                    .isInstanceOf(BadRequestException.class)
                    .hasMessageContaining("not a PIV key slot");
            assertThat(client.call("key.list", Map.of()).get("keys").size()).isEqualTo(keysBefore);
        });
    }

    private static String pkcs8Pem(java.security.PrivateKey k) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(k.getEncoded()) + "\n-----END PRIVATE KEY-----\n";
    }

    private static java.security.KeyPair keyPair(String algorithm, String curve) throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance(algorithm);
        if (curve != null) {
            g.initialize(new java.security.spec.ECGenParameterSpec(curve));
        }
        return g.generateKeyPair();
    }

    @Test
    void import_p256IntoASlot_signs_occupiedSlotEd25519AndSlotOnAnotherToken_refused() {
        assertTimeoutPreemptively(LIMIT, () -> {
            java.security.KeyPair kp = keyPair("EC", "secp256r1");
            String pem = pkcs8Pem(kp.getPrivate());
            JsonNode k = client.call("key.import", params("pem", pem, "role", "root", "token", "yk-b", "slot", "86"));
            assertThat(k.get("slot").asText()).isEqualTo("86");
            assertThat(k.get("token").asText()).isEqualTo("yk-b");
            assertThat(k.get("tokenSerial").asText()).isEqualTo(Integer.toString(CARD_B));
            assertThat(k.get("softwareCopyNote").asText()).contains("delete it yourself");
            ECPublicKey onCard = emulator.card(CARD_B).publicKey(0x86).orElseThrow();
            assertThat(onCard.getW()).isEqualTo(((ECPublicKey) kp.getPublic()).getW());
            String keyId = k.get("keyId").asText();
            assertThat(client.call("key.list", Map.of()).get("keys").toString()).contains(keyId);
            // the imported key signs on the card
            byte[] data = "signed by an imported key".getBytes(StandardCharsets.UTF_8);
            JsonNode sig = client.call(
                    "sign.raw",
                    params("keyId", keyId, "data", Base64.getEncoder().encodeToString(data)));
            assertThat(verifiesRaw(
                            kp.getPublic(),
                            data,
                            Base64.getDecoder().decode(sig.get("signature").asText())))
                    .isTrue();
            assertThat(emulator.card(CARD_B).signatures(0x86)).isEqualTo(1);
            int keysBefore = client.call("key.list", Map.of()).get("keys").size();

            String other = pkcs8Pem(keyPair("EC", "secp256r1").getPrivate());
            assertThatThrownBy(() -> client.call(
                            "key.import", params("pem", other, "role", "root", "token", "yk-b", "slot", "86")))
                    .isInstanceOf(ConflictException.class)
                    .hasMessageContaining("slot 86")
                    .hasMessageContaining("already holds a key (key " + keyId)
                    .hasMessageContaining("never overwrites");
            assertThat(emulator.card(CARD_B).publicKey(0x86).orElseThrow()).isEqualTo(onCard);
            assertThatThrownBy(() -> client.call(
                            "key.import", params("pem", other, "role", "root", "token", "soft", "slot", "9c")))
                    .isInstanceOf(BadRequestException.class)
                    .hasMessageContaining("not a YubiKey");
            String ed = pkcs8Pem(keyPair("Ed25519", null).getPrivate());
            assertThatThrownBy(() ->
                            client.call("key.import", params("pem", ed, "role", "root", "token", "yk-b", "slot", "87")))
                    .isInstanceOf(ConflictException.class)
                    .hasMessageContaining("Ed25519 is not a PIV algorithm");
            assertThat(emulator.card(CARD_B).publicKey(0x87)).isEmpty();
            assertThat(client.call("key.list", Map.of()).get("keys").size()).isEqualTo(keysBefore);
            assertThat(log.messages()).noneMatch(l -> l.contains(MGM_B));
        });
    }

    @Test
    void managementKey_default_warnsAtStartAndInStatus() {
        assertTimeoutPreemptively(LIMIT, () -> {
            assertThat(log.messages())
                    .anyMatch(l -> l.contains(
                            "token yk-a (YubiKey " + CARD_A + ") uses the well-known DEFAULT" + " PIV management key"));
            assertThat(log.messages()).noneMatch(l -> l.contains("token yk-b") && l.contains("DEFAULT"));
            JsonNode tokens = client.call("token.list", Map.of()).get("tokens");
            for (JsonNode t : tokens) {
                switch (t.get("name").asText()) {
                    case "yk-a" -> {
                        assertThat(t.get("profile").asText()).isEqualTo("yubikey");
                        assertThat(t.get("managementKey").asText()).isEqualTo("default");
                        assertThat(t.get("warnings").get(0).asText()).contains("DEFAULT PIV management key");
                    }
                    case "yk-b" -> {
                        assertThat(t.get("managementKey").asText()).startsWith("file:");
                        assertThat(t.has("warnings")).isFalse();
                    }
                    case "soft" -> assertThat(t.has("profile")).isFalse();
                    default -> {}
                }
            }
            JsonNode status = client.call("status", Map.of());
            assertThat(status.get("tokens").toString()).contains("DEFAULT PIV management key");
        });
    }

    @Test
    void generate_wrongManagementKey_clearErrorAndNoKey() {
        assertTimeoutPreemptively(LIMIT, () -> {
            assertThatThrownBy(() -> client.call("key.generate", params("role", "root", "token", "yk-c", "slot", "9c")))
                    .isInstanceOfSatisfying(PinIncorrectException.class, e -> {
                        assertThat(e.token()).isEqualTo("yk-c");
                        assertThat(e.getMessage())
                                .contains("YubiKey with serial " + CARD_C)
                                .contains("refused the PIV management key")
                                .doesNotContain(WRONG_MGM);
                    });
            assertThat(emulator.card(CARD_C).slotsWithKeys()).isEmpty();
            assertThat(log.messages()).noneMatch(l -> l.contains(WRONG_MGM) || l.contains(MGM_B));
        });
    }
}
