package dev.custody.daemon.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The config loader under any text (README "Fuzzing"): {@link ConfigLoader#parse} returns a config or throws
 * {@link ConfigException} naming the file (and the field, when there is one), and nothing else; a YAML
 * alias bomb or a deep document is refused, not expanded. Accounts are a fixed table, so results do not
 * depend on the machine's users.
 *
 * <p>Seeds (README-config.md's examples) and kept findings: {@code src/test/resources/dev/custody/daemon/
 * config/ConfigLoaderFuzzTestInputs/}.
 */
class ConfigLoaderFuzzTest {
    private static final Path FILE = Path.of("/etc/custody/custodyd.yaml");
    private static final Map<String, Long> USERS = Map.of("root", 0L, "alice", 1000L, "ci", 1001L);
    private static final Map<String, Long> GROUPS =
            Map.of("root", 0L, "custody", 990L, "custody-admin", 991L, "releng", 992L);
    private static final ConfigLoader.Accounts ACCOUNTS = new ConfigLoader.Accounts() {
        @Override
        public OptionalLong uidOf(String user) {
            Long id = USERS.get(user);
            return id == null ? OptionalLong.empty() : OptionalLong.of(id);
        }

        @Override
        public OptionalLong gidOf(String group) {
            Long id = GROUPS.get(group);
            return id == null ? OptionalLong.empty() : OptionalLong.of(id);
        }
    };

    @FuzzTest(maxDuration = "10m")
    void load_anyYaml(byte[] raw) {
        String yaml = new String(raw, StandardCharsets.UTF_8);
        DaemonConfig config;
        try {
            config = ConfigLoader.parse(yaml, FILE, ACCOUNTS);
        } catch (ConfigException e) {
            assertTrue(e.getMessage().startsWith(FILE + ": "), e.getMessage());
            assertEquals(FILE, e.file());
            assertNotNull(e.field());
            return;
        }
        assertNotNull(config.stateDir());
        assertTrue(config.stateDir().isAbsolute(), "stateDir " + config.stateDir());
        assertTrue(config.auditLog().isAbsolute(), "audit.path " + config.auditLog());
        assertNotNull(config.limits());
    }
}
