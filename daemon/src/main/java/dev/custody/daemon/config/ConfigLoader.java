package dev.custody.daemon.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.custody.daemon.policy.Glob;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.policy.Rule;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.rpc.ServerLimits;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenSelector;
import dev.custody.pkcs11.yubikey.YubikeyProfile;
import dev.custody.protocol.Protocol;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Reads {@code custodyd --config FILE} (YAML) into a {@link DaemonConfig}: unknown fields, wrong
 * types, bad values and missing files referenced by the config are errors naming the file and the
 * field ({@code tokens[1].pin}). Every option has a default, so an empty file is a valid config.
 *
 * <p>Values: durations are {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 2d} or ISO-8601
 * ({@code PT30S}); sizes are a number of bytes or {@code 512KiB}, {@code 1MiB}, {@code 1GiB}; the
 * socket mode is octal, best quoted ({@code "0660"}).
 */
public final class ConfigLoader {
    public static final Path DEFAULT_STATE_DIR = Path.of("/var/lib/custody");
    public static final String DEFAULT_SOCKET_GROUP = "custody";
    public static final String DEFAULT_CUSTODIAN_GROUP = "custody-admin";
    public static final Set<PosixFilePermission> DEFAULT_SOCKET_MODE = PosixFilePermissions.fromString("rw-rw----");
    public static final Duration DEFAULT_APPROVAL_TIMEOUT = Duration.ofMinutes(10);
    public static final Duration DEFAULT_PIN_CACHE_TIME = Duration.ofMinutes(15);

    /** Resolves user and group names to ids; replaceable in tests. */
    public interface Accounts {
        OptionalLong uidOf(String user);

        OptionalLong gidOf(String group);

        Accounts SYSTEM = new Accounts() {
            @Override
            public OptionalLong uidOf(String user) {
                return UnixAccounts.uidOf(user);
            }

            @Override
            public OptionalLong gidOf(String group) {
                return UnixAccounts.gidOf(group);
            }
        };
    }

    private final Path file;
    private final Accounts accounts;

    private ConfigLoader(Path file, Accounts accounts) {
        this.file = file;
        this.accounts = accounts;
    }

    /** Loads and validates {@code file}. */
    public static DaemonConfig load(Path file) throws ConfigException {
        return load(file, Accounts.SYSTEM);
    }

    public static DaemonConfig load(Path file, Accounts accounts) throws ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(
                    file, "", "no such file (pass --config with the path of custodyd's YAML config)", e);
        } catch (IOException e) {
            throw new ConfigException(file, "", "cannot read: " + e.getMessage(), e);
        }
        return parse(text, file, accounts);
    }

    /** Parses YAML text; {@code file} is used in messages and to resolve nothing else. */
    public static DaemonConfig parse(String yaml, Path file, Accounts accounts) throws ConfigException {
        ObjectMapper mapper = new YAMLMapper(YAMLFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build());
        JsonNode root;
        try {
            root = mapper.readTree(yaml);
        } catch (JsonProcessingException e) {
            String where =
                    e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ": ";
            throw new ConfigException(
                    file,
                    "",
                    where + "not valid YAML: " + e.getOriginalMessage().split("\n")[0],
                    e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            root = mapper.createObjectNode();
        }
        ConfigLoader loader = new ConfigLoader(file, accounts);
        return loader.read(new ConfigNode(file, root, ""));
    }

    private DaemonConfig read(ConfigNode root) throws ConfigException {
        root.object();
        root.allowOnly(
                "stateDir",
                "socket",
                "tokens",
                "servers",
                "policy",
                "audit",
                "limits",
                "approvalTimeout",
                "pinCacheTime",
                "publishConvergeTimeout");
        Path stateDir = root.absolutePath("stateDir", DEFAULT_STATE_DIR);
        SocketConfig socket = socket(root.child("socket"));
        List<TokenConfig> tokens = new ArrayList<>();
        Set<String> tokenNames = new HashSet<>();
        for (ConfigNode t : root.child("tokens").list()) {
            TokenConfig tc = token(t);
            if (!tokenNames.add(tc.name())) {
                throw t.field("name").fail("token name '" + tc.name() + "' is used twice");
            }
            tokens.add(tc);
        }
        List<ServerConfig> servers = new ArrayList<>();
        Set<String> serverNames = new HashSet<>();
        for (ConfigNode s : root.child("servers").list()) {
            ServerConfig sc = server(s, servers.isEmpty());
            if (!serverNames.add(sc.name())) {
                throw s.field("name").fail("server name '" + sc.name() + "' is used twice");
            }
            servers.add(sc);
        }
        PolicyConfig policy = policy(root.child("policy"));
        ConfigNode audit = root.child("audit");
        audit.objectOrAbsent();
        audit.allowOnly("path", "checkpoint");
        Path auditLog = audit.absolutePath("path", stateDir.resolve("audit.log"));
        AuditCheckpointConfig checkpoint = auditCheckpoint(audit.child("checkpoint"));
        ServerLimits limits = limits(root.child("limits"));
        Duration approvalTimeout = root.duration("approvalTimeout", DEFAULT_APPROVAL_TIMEOUT);
        Duration pinCacheTime = root.duration("pinCacheTime", DEFAULT_PIN_CACHE_TIME);
        Duration convergeTimeout = root.durationIn(
                "publishConvergeTimeout",
                DaemonConfig.DEFAULT_PUBLISH_CONVERGE_TIMEOUT,
                Duration.ZERO,
                Duration.ofHours(1));
        return new DaemonConfig(
                file,
                stateDir,
                socket,
                tokens,
                servers,
                policy,
                auditLog,
                limits,
                approvalTimeout,
                pinCacheTime,
                java.util.Optional.ofNullable(checkpoint),
                convergeTimeout);
    }

    /** {@code audit.checkpoint: {key: KEYID, every: 1000}}, or null when absent. */
    private AuditCheckpointConfig auditCheckpoint(ConfigNode n) throws ConfigException {
        n.objectOrAbsent();
        if (!n.present() || n.isNull()) {
            return null;
        }
        n.allowOnly("key", "every");
        ConfigNode key = n.field("key");
        String id = key.text();
        if (!id.matches("[0-9a-f]{64}")) {
            throw key.fail("must be a key ID (64 lower-case hex digits, as `custody key list` shows it)");
        }
        return new AuditCheckpointConfig(id, n.intIn("every", AuditCheckpointConfig.DEFAULT_EVERY, 1, 1_000_000));
    }

    private SocketConfig socket(ConfigNode n) throws ConfigException {
        n.objectOrAbsent();
        n.allowOnly("path", "mode", "group");
        Path path = n.absolutePath("path", Protocol.DEFAULT_SOCKET);
        Set<PosixFilePermission> mode = DEFAULT_SOCKET_MODE;
        ConfigNode m = n.child("mode");
        if (m.present()) {
            mode = mode(m);
        }
        String group = DEFAULT_SOCKET_GROUP;
        ConfigNode g = n.child("group");
        if (g.present()) {
            group = g.isNull() ? null : g.text();
            if (group != null && accounts.gidOf(group).isEmpty()) {
                throw g.fail(
                        "group '" + group + "' does not exist on this machine (create it, or write `group: ~` to keep"
                                + " the daemon's group)");
            }
        }
        return new SocketConfig(path, mode, group);
    }

    private Set<PosixFilePermission> mode(ConfigNode m) throws ConfigException {
        int bits;
        if (m.node.isIntegralNumber()) {
            // YAML 1.1 reads an unquoted 0660 as octal already.
            bits = m.node.canConvertToInt() ? m.node.asInt() : -1;
        } else {
            String s = m.text().toLowerCase(Locale.ROOT);
            s = s.startsWith("0o") ? s.substring(2) : s;
            if (!s.matches("[0-7]{1,4}")) {
                throw m.fail("\"" + m.node.asText() + "\" is not an octal mode like \"0660\"");
            }
            bits = Integer.parseInt(s, 8);
        }
        if (bits < 0 || bits > 0777) {
            throw m.fail(m.node.asText() + " is not a file mode: write it quoted and octal, like \"0660\"");
        }
        if ((bits & 0600) != 0600) {
            throw m.fail(String.format("mode %04o must give the daemon read and write (0600)", bits));
        }
        if ((bits & 0111) != 0) {
            throw m.fail(String.format("mode %04o sets execute bits; a socket needs rw only, e.g. \"0660\"", bits));
        }
        Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE,
            PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ
        };
        for (int i = 0; i < order.length; i++) {
            if ((bits & (1 << i)) != 0) {
                out.add(order[i]);
            }
        }
        return out;
    }

    private TokenConfig token(ConfigNode t) throws ConfigException {
        t.object();
        t.allowOnly("name", "module", "label", "serial", "uri", "pin", "profile", "managementKey", "holders");
        String name = t.name("name");
        TokenConfig.Profile profile = t.choice(
                "profile",
                Map.of("pkcs11", TokenConfig.Profile.PKCS11, "yubikey", TokenConfig.Profile.YUBIKEY),
                TokenConfig.Profile.PKCS11);
        if (profile == TokenConfig.Profile.YUBIKEY) {
            return yubikeyToken(t, name);
        }
        if (t.child("managementKey").present()) {
            throw t.child("managementKey").fail("only a token with profile: yubikey has a management key");
        }
        Path module = t.requiredAbsolutePath("module");
        if (!Files.isRegularFile(module)) {
            throw t.field("module")
                    .fail(module + " does not exist or is not a file (install the PKCS#11 module, e.g."
                            + " ykcs11 or softhsm2)");
        }
        String label = t.optionalText("label");
        String serial = t.optionalText("serial");
        TokenSelector uri = null;
        ConfigNode u = t.child("uri");
        if (u.present()) {
            if (label != null || serial != null) {
                throw u.fail("give either uri or label/serial, not both");
            }
            try {
                uri = TokenSelector.parseUri(u.text());
            } catch (TokenException e) {
                throw u.fail(e.getMessage());
            }
            if (!uri.identifiesToken()) {
                throw u.fail("the URI names no token: give token= or serial=");
            }
        } else if (label == null && serial == null) {
            throw t.fail("token '" + name + "' needs label, serial or uri to find it among the module's tokens");
        }
        return new TokenConfig(
                name,
                module,
                label,
                serial,
                uri,
                tokenPin(t),
                TokenConfig.Profile.PKCS11,
                null,
                holders(t.child("holders")));
    }

    private TokenPin tokenPin(ConfigNode t) throws ConfigException {
        ConfigNode p = t.child("pin");
        if (!p.present()) {
            return TokenPin.prompt();
        }
        try {
            return TokenPin.parse(p.text());
        } catch (IllegalArgumentException e) {
            throw p.fail(e.getMessage());
        }
    }

    /**
     * {@code profile: yubikey}: ykcs11 (its Debian path unless {@code module} is given), the YubiKey's
     * serial as its identity, and an optional management key source for key generation.
     */
    private TokenConfig yubikeyToken(ConfigNode t, String name) throws ConfigException {
        Path module = t.absolutePath("module", YubikeyProfile.DEFAULT_MODULE);
        if (!Files.isRegularFile(module)) {
            throw t.child("module")
                    .fail(module + " does not exist or is not a file (install Yubico's PKCS#11 module:"
                            + " apt install ykcs11)");
        }
        for (String f : List.of("label", "uri")) {
            if (t.child(f).present()) {
                throw t.child(f)
                        .fail(
                                "a yubikey token is found by its serial only (ykcs11 labels are \"YubiKey PIV #<serial>\")");
            }
        }
        String serial = t.optionalText("serial");
        if (serial == null) {
            throw t.child("serial")
                    .fail("is required for profile: yubikey (the YubiKey's serial number, printed on it"
                            + " and shown by `ykman list --serials`)");
        }
        if (!serial.matches("[0-9]{1,10}")) {
            throw t.child("serial").fail("\"" + serial + "\" is not a YubiKey serial number (decimal digits)");
        }
        TokenManagementKey mgm = null;
        ConfigNode m = t.child("managementKey");
        if (m.present() && !m.isNull()) {
            try {
                mgm = TokenManagementKey.parse(m.text());
            } catch (IllegalArgumentException e) {
                throw m.fail(e.getMessage());
            } catch (ConfigException e) {
                // a key written unquoted may be a number: do not echo it
                throw m.fail(
                        "must be a string: file:/path, env:VAR, credential:NAME or default (never the key itself)");
            }
        }
        return new TokenConfig(
                name,
                module,
                null,
                serial,
                null,
                tokenPin(t),
                TokenConfig.Profile.YUBIKEY,
                mgm,
                holders(t.child("holders")));
    }

    /**
     * {@code tokens[].holders}: {@code {users: [...], uids: [...], groups: [...], gids: [...]}}, at least
     * one name or id; absent = no holders.
     */
    private TokenHolders holders(ConfigNode h) throws ConfigException {
        if (!h.present() || h.isNull()) {
            return TokenHolders.NONE;
        }
        h.object();
        h.allowOnly("users", "uids", "groups", "gids");
        Set<Long> uids = new LinkedHashSet<>();
        for (ConfigNode u : h.child("users").list()) {
            String user = u.text();
            uids.add(accounts.uidOf(user).orElseThrow(() -> u.fail("no such user '" + user + "'")));
        }
        for (ConfigNode u : h.child("uids").list()) {
            uids.add(u.nonNegativeLong());
        }
        Set<Long> gids = new LinkedHashSet<>();
        for (ConfigNode g : h.child("groups").list()) {
            String group = g.text();
            gids.add(accounts.gidOf(group).orElseThrow(() -> g.fail("no such group '" + group + "'")));
        }
        for (ConfigNode g : h.child("gids").list()) {
            gids.add(g.nonNegativeLong());
        }
        if (uids.isEmpty() && gids.isEmpty()) {
            throw h.fail("names nobody: give users, uids, groups or gids (or leave holders out)");
        }
        return new TokenHolders(uids, gids);
    }

    private ServerConfig server(ConfigNode s, boolean first) throws ConfigException {
        s.object();
        s.allowOnly("name", "url", "caFile", "credentialsFile", "timeout", "deadline");
        String name = s.child("name").present() ? s.name("name") : first ? "default" : s.name("name");
        ConfigNode u = s.field("url");
        URI url;
        try {
            url = new URI(u.text());
        } catch (URISyntaxException e) {
            throw u.fail("\"" + u.text() + "\" is not a URL: " + e.getReason());
        }
        if (!("https".equals(url.getScheme()) || "http".equals(url.getScheme())) || url.getHost() == null) {
            throw u.fail("\"" + u.text() + "\" must be an http:// or https:// URL with a host");
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null || url.getRawUserInfo() != null) {
            throw u.fail("\"" + u.text() + "\" must not carry a query, fragment or credentials (use credentialsFile)");
        }
        Path ca = null;
        if (s.child("caFile").present()) {
            ca = s.requiredAbsolutePath("caFile");
            if (!Files.isReadable(ca)) {
                throw s.field("caFile").fail(ca + " does not exist or is not readable");
            }
        }
        Path cred = null;
        if (s.child("credentialsFile").present()) {
            cred = s.requiredAbsolutePath("credentialsFile");
            if (!Files.isReadable(cred)) {
                throw s.field("credentialsFile").fail(cred + " does not exist or is not readable");
            }
            try {
                if (Files.getPosixFilePermissions(cred).contains(PosixFilePermission.OTHERS_READ)) {
                    throw s.field("credentialsFile")
                            .fail(cred + " is readable by everyone: run `chmod 0600 " + cred + "`");
                }
            } catch (IOException e) {
                throw s.field("credentialsFile").fail("cannot check " + cred + ": " + e.getMessage());
            }
        }
        Duration timeout =
                s.durationIn("timeout", ServerConfig.DEFAULT_TIMEOUT, Duration.ofMillis(100), Duration.ofMinutes(10));
        Duration deadline =
                s.durationIn("deadline", ServerConfig.DEFAULT_DEADLINE, Duration.ofMillis(100), Duration.ofHours(1));
        if (deadline.compareTo(timeout) < 0) {
            throw s.field("deadline").fail("must be at least the timeout (" + timeout.toMillis() + "ms)");
        }
        return new ServerConfig(name, url, ca, cred, timeout, deadline);
    }

    private PolicyConfig policy(ConfigNode n) throws ConfigException {
        n.objectOrAbsent();
        n.allowOnly("custodianGroup", "rules");
        String custodians = n.child("custodianGroup").present() ? n.name("custodianGroup") : DEFAULT_CUSTODIAN_GROUP;
        List<Rule> rules = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ConfigNode r : n.child("rules").list()) {
            Rule rule = rule(r);
            if (!names.add(rule.name())) {
                throw r.field("name").fail("rule name '" + rule.name() + "' is used twice");
            }
            rules.add(rule);
        }
        return new PolicyConfig(custodians, rules);
    }

    private Rule rule(ConfigNode r) throws ConfigException {
        r.object();
        r.allowOnly("name", "users", "uids", "groups", "gids", "guns", "roles", "operations", "effect", "approval");
        String name = r.field("name").text();
        if (name.isBlank()) {
            throw r.field("name").fail("must not be blank");
        }
        Set<Long> uids = new LinkedHashSet<>();
        for (ConfigNode u : r.child("users").list()) {
            String user = u.text();
            uids.add(accounts.uidOf(user).orElseThrow(() -> u.fail("no such user '" + user + "'")));
        }
        for (ConfigNode u : r.child("uids").list()) {
            uids.add(u.nonNegativeLong());
        }
        Set<Long> gids = new LinkedHashSet<>();
        for (ConfigNode g : r.child("groups").list()) {
            String group = g.text();
            gids.add(accounts.gidOf(group).orElseThrow(() -> g.fail("no such group '" + group + "'")));
        }
        for (ConfigNode g : r.child("gids").list()) {
            gids.add(g.nonNegativeLong());
        }
        if (uids.isEmpty() && gids.isEmpty()) {
            throw r.fail("rule '" + name + "' names no caller: give users, uids, groups or gids");
        }
        List<Glob> guns = globs(r.child("guns"));
        List<Glob> roles = globs(r.child("roles"));
        Set<Operation> ops = EnumSet.noneOf(Operation.class);
        for (ConfigNode o : r.child("operations").list()) {
            String s = o.text();
            if (s.equals("*")) {
                ops = EnumSet.noneOf(Operation.class);
                break;
            }
            ops.add(Operation.findByWireName(s)
                    .orElseThrow(() -> o.fail("unknown operation '" + s + "' (known: *, "
                            + String.join(
                                    ", ",
                                    java.util.Arrays.stream(Operation.values())
                                            .map(Operation::wireName)
                                            .toList())
                            + ")")));
        }
        Rule.Effect effect =
                r.choice("effect", Map.of("allow", Rule.Effect.ALLOW, "deny", Rule.Effect.DENY), Rule.Effect.ALLOW);
        boolean approval = r.choice("approval", Map.of("required", true, "none", false), false);
        if (effect == Rule.Effect.DENY && approval) {
            throw r.field("approval").fail("a deny rule cannot require an approval");
        }
        return new Rule(name, uids, gids, guns, roles, ops, effect, approval);
    }

    private List<Glob> globs(ConfigNode list) throws ConfigException {
        List<Glob> out = new ArrayList<>();
        for (ConfigNode g : list.list()) {
            String s = g.text();
            if (s.isEmpty() || s.chars().anyMatch(Character::isWhitespace)) {
                throw g.fail("\"" + s + "\" is not a pattern (no blanks; * within a path segment, ** across)");
            }
            out.add(Glob.of(s));
        }
        return out;
    }

    private ServerLimits limits(ConfigNode n) throws ConfigException {
        n.objectOrAbsent();
        n.allowOnly(
                "maxRequestBytes",
                "maxConnections",
                "maxInFlightPerCaller",
                "workerThreads",
                "idleTimeout",
                "requestReadTimeout",
                "shutdownGrace",
                "maxQueuedPerCaller",
                "maxConnectionsPerCaller",
                "noGrant");
        ServerLimits d = ServerLimits.DEFAULTS;
        int maxRequest = (int) n.size("maxRequestBytes", d.maxRequestBytes(), 1024, 64L << 20);
        int maxConnections = n.intIn("maxConnections", d.maxConnections(), 1, 4096);
        int maxInFlight = n.intIn("maxInFlightPerCaller", d.maxInFlightPerCaller(), 1, 4096);
        int workers = n.intIn("workerThreads", d.workerThreads(), 1, 512);
        Duration idle = n.durationIn("idleTimeout", d.idleTimeout(), Duration.ofSeconds(1), Duration.ofDays(1));
        Duration read =
                n.durationIn("requestReadTimeout", d.requestReadTimeout(), Duration.ofMillis(100), Duration.ofHours(1));
        Duration grace = n.durationIn("shutdownGrace", d.shutdownGrace(), Duration.ZERO, Duration.ofHours(1));
        int queued = n.intIn("maxQueuedPerCaller", d.maxQueuedPerCaller(), 0, 4096);
        int perCaller =
                n.intIn("maxConnectionsPerCaller", Math.min(maxConnections, d.maxConnectionsPerCaller()), 1, 4096);
        ConfigNode g = n.child("noGrant");
        g.objectOrAbsent();
        g.allowOnly("maxConnections", "maxInFlight", "maxQueued", "idleTimeout");
        ServerLimits.NoGrant dg = d.noGrant();
        ServerLimits.NoGrant noGrant = new ServerLimits.NoGrant(
                g.intIn("maxConnections", dg.maxConnections(), 1, 64),
                g.intIn("maxInFlight", dg.maxInFlight(), 1, 64),
                g.intIn("maxQueued", dg.maxQueued(), 0, 64),
                g.durationIn("idleTimeout", dg.idleTimeout(), Duration.ofMillis(100), Duration.ofHours(1)));
        return new ServerLimits(
                maxRequest, maxConnections, maxInFlight, workers, idle, read, grace, queued, perCaller, noGrant);
    }

    // ---- parsing helpers ----

    static Duration parseDuration(String s) {
        return ConfigNode.parseDuration(s);
    }

    static long parseSize(String s) {
        return ConfigNode.parseSize(s);
    }
}
