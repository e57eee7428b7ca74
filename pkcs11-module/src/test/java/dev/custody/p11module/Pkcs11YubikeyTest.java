package dev.custody.p11module;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.Daemon;
import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.daemon.keys.KeysExtension;
import dev.custody.daemon.keys.Pkcs11FrontDoor;
import dev.custody.testhsm.DaemonYaml;
import dev.custody.testhsm.piv.PivCard;
import dev.custody.testhsm.piv.RequiresYubikeyEmulator;
import dev.custody.testhsm.piv.YubikeyEmulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key in PIV slot 9c of a {@code profile: yubikey} token (an emulated YubiKey under ykcs11, test-hsm)
 * keeps its one-byte CKA_ID 02 through libcustody-pkcs11.so, so securesystemslib's HSMSigner finds it
 * with no alias; a card that waits for a touch makes the module print the touch notice once on stderr.
 */
@RequiresYubikeyEmulator
class Pkcs11YubikeyTest {
    private static final int SERIAL = 10000151;

    @TempDir
    Path dir;

    @Test
    void hsmSigner_slot9cWithoutAlias_touchNoticeOncePerSignature() throws Exception {
        try (YubikeyEmulator emulator =
                YubikeyEmulator.builder().card(PivCard.builder(SERIAL)).start()) {
            emulator.requireUsableInThisProcess();
            Path pin = Files.writeString(dir.resolve("yk-pin"), PivCard.DEFAULT_PIN + "\n");
            DaemonConfig config = ConfigLoader.parse(
                    DaemonYaml.in(dir)
                            .yubikey("yk", YubikeyEmulator.YKCS11, SERIAL, "file:" + pin, "default")
                            .text(),
                    dir.resolve("custodyd.yaml"),
                    ConfigLoader.Accounts.SYSTEM);
            KeysExtension keys = new KeysExtension();
            // no repository extension: the front door serves no approvals
            Daemon daemon = Daemon.start(
                    config, Map.of(), List.of(keys, new Pkcs11FrontDoor(keys, Optional::empty)), Clock.systemUTC());
            try (CustodyClient client =
                    CustodyClient.connect(dir.resolve("run/custody.sock"), Duration.ofSeconds(120))) {
                JsonNode k = client.call(
                        "key.generate",
                        Map.of("role", "targets", "gun", "example.com/yk", "token", "yk", "slot", "9c"));
                PivCard card = emulator.card(SERIAL);
                card.setTouchPolicy(PivCard.SLOT_SIGNATURE, PivCard.TouchPolicy.ALWAYS);
                card.setTouchDelay(Duration.ofMillis(1500));
                Path script = dir.resolve("tuf_hsm_sign.py");
                try (var in = getClass().getResourceAsStream("tuf_hsm_sign.py")) {
                    Files.write(script, in.readAllBytes());
                }
                Map<String, String> env = new HashMap<>();
                env.put("CUSTODY_SOCKET", dir.resolve("run/custody.sock").toString());
                env.put("CUSTODY_PKCS11_CONF", dir.resolve("none.conf").toString()); // no id-alias
                env.put("PYKCS11LIB", ModuleBuild.build().toString());
                ProcessBuilder pb = new ProcessBuilder(
                                "/usr/bin/python3",
                                script.toString(),
                                dir.resolve("t.json").toString())
                        .directory(dir.toFile());
                pb.environment().putAll(env);
                FrontDoorHarness.Run r = FrontDoorHarness.finish(pb.start(), Duration.ofSeconds(120));
                assertThat(r.exit()).as(r.all()).isZero();
                assertThat(r.out()).contains("verified");
                String notice = "custody: touch the YubiKey with serial " + SERIAL;
                assertThat(r.err()).contains(notice);
                assertThat(r.err().split(java.util.regex.Pattern.quote(notice), -1))
                        .as("once per signature")
                        .hasSize(2);
                JsonNode line = null;
                for (String l : Files.readAllLines(dir.resolve("state/audit.log"))) {
                    JsonNode n = FrontDoorHarness.JSON.readTree(l);
                    if (n.path("method").asText().equals("pkcs11.sign")) {
                        line = n;
                    }
                }
                assertThat(line).isNotNull();
                assertThat(line.path("keyId").asText()).isEqualTo(k.get("keyId").asText());
                assertThat(line.path("result").asText()).isEqualTo("ok");
            } finally {
                daemon.stop();
            }
        }
    }
}
