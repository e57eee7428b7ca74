package dev.custody.testhsm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code custodyd.yaml} a test daemon runs with: state in {@code DIR/state}, the socket at {@code
 * DIR/run/custody.sock} without a group change, a 5 s shutdown grace, and whatever tokens, servers, limits
 * and further settings the test adds. Text only (test-hsm does not know the daemon); tests give {@link
 * #text()} to {@code ConfigLoader.parse} or write it for a custodyd process.
 *
 * <pre>{@code
 * String yaml = DaemonYaml.in(dir)
 *         .token("main", SoftHsm.MODULE, token.label(), "file:" + pinFile)
 *         .server("default", server.url())
 *         .more("pinCacheTime: 0s")
 *         .text();
 * }</pre>
 */
public final class DaemonYaml {
    /** The socket lines after {@code path} unless a test gives its own: no group change. */
    public static final String NO_GROUP = "  group: ~";

    private final Path dir;
    private Path socket;
    private String socketLines = NO_GROUP;
    private final StringBuilder tokens = new StringBuilder();
    private final StringBuilder servers = new StringBuilder();
    private final Map<String, String> limits = new LinkedHashMap<>();
    private final StringBuilder more = new StringBuilder();

    private DaemonYaml(Path dir) {
        this.dir = dir;
        this.socket = dir.resolve("run/custody.sock");
        limits.put("shutdownGrace", "5s");
    }

    /** A config for a daemon whose state and socket live under {@code dir}. */
    public static DaemonYaml in(Path dir) {
        return new DaemonYaml(dir);
    }

    /** The socket path (default {@code DIR/run/custody.sock}). */
    public Path socket() {
        return socket;
    }

    public DaemonYaml socket(Path path) {
        this.socket = path;
        return this;
    }

    /** The {@code socket} section's lines after {@code path}, indented by 2 (default {@link #NO_GROUP}). */
    public DaemonYaml socketLines(String lines) {
        this.socketLines = lines;
        return this;
    }

    /** A PKCS#11 token by label; {@code pin} is a PIN source ({@code prompt}, {@code file:…}, {@code env:…}). */
    public DaemonYaml token(String name, Path module, String label, String pin) {
        return tokens("""
                  - name: %s
                    module: %s
                    label: %s
                    pin: %s
                """.formatted(name, module, label, pin));
    }

    /** A {@code profile: yubikey} token by serial (written quoted). */
    public DaemonYaml yubikey(String name, Path module, int serial, String pin, String managementKey) {
        return tokens(yubikeyToken(name, module, serial, pin, managementKey));
    }

    /** The {@code tokens} list item of {@link #yubikey}, for fixtures that take more tokens as text. */
    public static String yubikeyToken(String name, Path module, int serial, String pin, String managementKey) {
        return """
                  - name: %s
                    profile: yubikey
                    module: %s
                    serial: "%d"
                    pin: %s
                    managementKey: %s
                """.formatted(name, module, serial, pin, managementKey);
    }

    /** More entries for the {@code tokens} list, as YAML list items indented by 2 ("" adds nothing). */
    public DaemonYaml tokens(String items) {
        append(tokens, items);
        return this;
    }

    public DaemonYaml server(String name, String url) {
        return servers("  - name: " + name + "\n    url: " + url);
    }

    /** A TLS notary-server whose certificate {@code caFile} signed ({@code null}: the system's CAs). */
    public DaemonYaml server(String name, String url, Path caFile) {
        return caFile == null
                ? server(name, url)
                : servers("  - name: " + name + "\n    url: " + url + "\n    caFile: " + caFile.toAbsolutePath());
    }

    /** More entries for the {@code servers} list, as YAML list items indented by 2 ("" adds nothing). */
    public DaemonYaml servers(String items) {
        append(servers, items);
        return this;
    }

    /** One entry of the {@code limits} section (replacing the default of the same name). */
    public DaemonYaml limit(String name, String value) {
        limits.put(name, value);
        return this;
    }

    /** More top-level settings (policy, timeouts, pinCacheTime …), appended as they are. */
    public DaemonYaml more(String yaml) {
        append(more, yaml);
        return this;
    }

    public String text() {
        StringBuilder y = new StringBuilder()
                .append("stateDir: ")
                .append(dir)
                .append("/state\nsocket:\n  path: ")
                .append(socket)
                .append('\n');
        append(y, socketLines);
        if (!tokens.isEmpty()) {
            y.append("tokens:\n").append(tokens);
        }
        if (!servers.isEmpty()) {
            y.append("servers:\n").append(servers);
        }
        y.append("limits:\n");
        limits.forEach((k, v) -> y.append("  ").append(k).append(": ").append(v).append('\n'));
        return y.append(more).toString();
    }

    /** Writes {@link #text()} to {@code DIR/custodyd.yaml}; that path. */
    public Path write() throws IOException {
        return Files.writeString(dir.resolve("custodyd.yaml"), text());
    }

    private static void append(StringBuilder to, String yaml) {
        String s = yaml.stripTrailing();
        if (!s.isBlank()) {
            to.append(s).append('\n');
        }
    }
}
