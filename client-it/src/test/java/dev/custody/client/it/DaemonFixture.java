package dev.custody.client.it;

import dev.custody.daemon.Daemon;
import dev.custody.daemon.DaemonExtension;
import dev.custody.daemon.StandardExtensions;
import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.testhsm.DaemonYaml;
import dev.custody.testhsm.SoftHsm;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A real custodyd in the test JVM: the built-in methods plus (unless asked not to) every extension on
 * the class path, made as custodyd makes them (StandardExtensions); one fresh SoftHSM2 token "main".
 */
final class DaemonFixture implements Closeable {
    /** The token's user PIN: distinctive, so a leak into output would be found. */
    static final String PIN = "739152";

    static final String WRONG_PIN = "480617";

    final Path dir;
    final Path socket;
    final SoftHsm.Token token;
    /** Further tokens by their config name (same PIN as "main"), for tests that spread keys over tokens. */
    final Map<String, SoftHsm.Token> extraTokens = new java.util.LinkedHashMap<>();

    final Daemon daemon;

    DaemonFixture(Path dir) throws Exception {
        this(dir, null, true);
    }

    DaemonFixture(Path dir, String notaryUrl) throws Exception {
        this(dir, notaryUrl, true);
    }

    DaemonFixture(Path dir, String notaryUrl, boolean withExtensions) throws Exception {
        this(dir, notaryUrl, null, withExtensions);
    }

    /**
     * @param notaryUrl the Notary server custodyd's repository operations use, or null for none
     * @param notaryCa the CA of a TLS Notary server (servers[].caFile), or null for the system's
     */
    DaemonFixture(Path dir, String notaryUrl, Path notaryCa, boolean withExtensions) throws Exception {
        this(dir, notaryUrl, notaryCa, withExtensions, List.of(), "", "");
    }

    /** @param extraTokenNames further SoftHSM2 tokens configured after "main" (PIN from prompt, like main) */
    DaemonFixture(Path dir, String notaryUrl, Path notaryCa, boolean withExtensions, List<String> extraTokenNames)
            throws Exception {
        this(dir, notaryUrl, notaryCa, withExtensions, extraTokenNames, "", "");
    }

    /**
     * @param moreTokens more entries for the {@code tokens} list (YAML list items, indented by 2)
     * @param moreYaml more top-level config (policy, timeouts)
     */
    DaemonFixture(Path dir, String notaryUrl, Path notaryCa, boolean withExtensions, String moreTokens, String moreYaml)
            throws Exception {
        this(dir, notaryUrl, notaryCa, withExtensions, List.of(), moreTokens, moreYaml);
    }

    /**
     * @param moreTokens YAML list items appended under {@code tokens:} after "main" (indented by two
     *     spaces, e.g. a {@code profile: yubikey} token), or ""
     */
    DaemonFixture(Path dir, String notaryUrl, Path notaryCa, boolean withExtensions, String moreTokens)
            throws Exception {
        this(dir, notaryUrl, notaryCa, withExtensions, List.of(), moreTokens, "");
    }

    private DaemonFixture(
            Path dir,
            String notaryUrl,
            Path notaryCa,
            boolean withExtensions,
            List<String> extraTokenNames,
            String moreTokens,
            String moreYaml)
            throws Exception {
        this.dir = dir;
        this.socket = dir.resolve("run/custody.sock");
        SoftHsm hsm = SoftHsm.forThisProcess();
        this.token =
                hsm.createToken("cli-" + UUID.randomUUID().toString().substring(0, 8), SoftHsm.DEFAULT_SO_PIN, PIN);
        DaemonYaml yaml = DaemonYaml.in(dir).socket(socket).token("main", SoftHsm.MODULE, token.label(), "prompt");
        for (String name : extraTokenNames) {
            SoftHsm.Token t = hsm.createToken(
                    name + "-" + UUID.randomUUID().toString().substring(0, 8), SoftHsm.DEFAULT_SO_PIN, PIN);
            extraTokens.put(name, t);
            yaml.token(name, SoftHsm.MODULE, t.label(), "prompt");
        }
        yaml.tokens(moreTokens);
        if (notaryUrl != null) {
            yaml.server("default", notaryUrl, notaryCa);
        }
        DaemonConfig config = ConfigLoader.parse(
                yaml.more(moreYaml).text(), dir.resolve("custodyd.yaml"), ConfigLoader.Accounts.SYSTEM);
        List<DaemonExtension> extensions = new ArrayList<>();
        if (withExtensions) {
            extensions.addAll(StandardExtensions.withServiceLoader(Map.of()));
        }
        this.daemon = Daemon.start(config, Map.of(), extensions, Clock.systemUTC());
    }

    @Override
    public void close() throws IOException {
        daemon.stop();
    }
}
