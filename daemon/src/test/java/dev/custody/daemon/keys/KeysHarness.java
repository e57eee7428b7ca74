package dev.custody.daemon.keys;

import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.Daemon;
import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.testhsm.DaemonYaml;
import dev.custody.testhsm.FaultShim;
import dev.custody.testhsm.LogCapture;
import dev.custody.testhsm.SoftHsm;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An in-process custodyd with the keys extension, on a temporary socket, over one fresh SoftHSM2 token
 * reached through a private fault shim (so each test has its own C_Initialize and can pull the token
 * out). Collects everything the daemon logs, to check that no PIN appears there.
 */
final class KeysHarness implements Closeable {
    /** The token's user PIN: distinctive, so a leak is found by searching for it. */
    static final String PIN = "739152";

    static final String WRONG_PIN = "480617";

    final Path dir;
    final SoftHsm.Token token;
    final FaultShim shim;
    /** Everything the daemon logs, searched for PINs. */
    final LogCapture log;

    Daemon daemon;
    KeysExtension keys;
    CustodyClient client;

    KeysHarness(Path dir) throws IOException {
        this.dir = dir;
        SoftHsm hsm = SoftHsm.forThisProcess();
        this.token =
                hsm.createToken("keys-" + UUID.randomUUID().toString().substring(0, 8), SoftHsm.DEFAULT_SO_PIN, PIN);
        this.shim = FaultShim.create(SoftHsm.MODULE, dir.resolve("shim"));
        this.log = LogCapture.start();
    }

    /** Starts custodyd; {@code extra} is appended to the YAML config (policy, pinCacheTime …). */
    KeysHarness start(String pin, String extra) throws Exception {
        DaemonConfig config = ConfigLoader.parse(
                DaemonYaml.in(dir)
                        .token("main", shim.modulePath(), token.label(), pin)
                        .more(extra)
                        .text(),
                dir.resolve("custodyd.yaml"),
                ConfigLoader.Accounts.SYSTEM);
        keys = new KeysExtension();
        daemon = Daemon.start(config, Map.of(), List.of(keys), Clock.systemUTC());
        client = CustodyClient.connect(dir.resolve("run/custody.sock"), Duration.ofSeconds(60));
        return this;
    }

    /** {@code key.generate} of a key for {@code role} of {@code gun}; its key ID. */
    String generate(String role, String gun) throws Exception {
        return client.call("key.generate", params("role", role, "gun", gun))
                .get("keyId")
                .asText();
    }

    /** Method params from alternating names and values: {@code params("keyId", id, "data", b64)}. */
    static Map<String, Object> params(Object... kv) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    Path auditLog() {
        return dir.resolve("state/audit.log");
    }

    Path keysJson() {
        return dir.resolve("state/keys.json");
    }

    /** A PIN file for {@code pin: file:…}. */
    Path pinFile(String pin) throws IOException {
        Path f = dir.resolve("pin");
        Files.writeString(f, pin + "\n");
        return f;
    }

    @Override
    public void close() throws IOException {
        try {
            if (client != null) {
                client.close();
            }
            if (daemon != null) {
                daemon.stop();
            }
        } finally {
            log.close();
        }
    }
}
