package dev.custody.daemon.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.custody.protocol.Protocol;
import dev.custody.daemon.policy.Glob;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.policy.Rule;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.rpc.ServerLimits;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenSelector;
import dev.custody.pkcs11.yubikey.YubikeyProfile;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

  private static final Pattern NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
  private static final Pattern DURATION = Pattern.compile("^(\\d+)\\s*(ms|s|m|h|d)$");
  private static final Pattern SIZE = Pattern.compile("^(\\d+)\\s*(B|KiB|MiB|GiB|K|M|G)?$");

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
      throw new ConfigException(file, "", "no such file (pass --config with the path of custodyd's YAML config)", e);
    } catch (IOException e) {
      throw new ConfigException(file, "", "cannot read: " + e.getMessage(), e);
    }
    return parse(text, file, accounts);
  }

  /** Parses YAML text; {@code file} is used in messages and to resolve nothing else. */
  public static DaemonConfig parse(String yaml, Path file, Accounts accounts) throws ConfigException {
    ObjectMapper mapper = new YAMLMapper(YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build());
    JsonNode root;
    try {
      root = mapper.readTree(yaml);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ": ";
      throw new ConfigException(file, "", where + "not valid YAML: " + e.getOriginalMessage().split("\n")[0], e);
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      root = mapper.createObjectNode();
    }
    ConfigLoader loader = new ConfigLoader(file, accounts);
    return loader.read(loader.new Node(root, ""));
  }

  private DaemonConfig read(Node root) throws ConfigException {
    root.object();
    root.allowOnly("stateDir", "socket", "tokens", "servers", "policy", "audit", "limits", "approvalTimeout",
        "pinCacheTime", "publishConvergeTimeout");
    Path stateDir = root.absolutePath("stateDir", DEFAULT_STATE_DIR);
    SocketConfig socket = socket(root.child("socket"));
    List<TokenConfig> tokens = new ArrayList<>();
    Set<String> tokenNames = new HashSet<>();
    for (Node t : root.child("tokens").list()) {
      TokenConfig tc = token(t);
      if (!tokenNames.add(tc.name())) {
        throw fail(t.field("name"), "token name '" + tc.name() + "' is used twice");
      }
      tokens.add(tc);
    }
    List<ServerConfig> servers = new ArrayList<>();
    Set<String> serverNames = new HashSet<>();
    for (Node s : root.child("servers").list()) {
      ServerConfig sc = server(s, servers.isEmpty());
      if (!serverNames.add(sc.name())) {
        throw fail(s.field("name"), "server name '" + sc.name() + "' is used twice");
      }
      servers.add(sc);
    }
    PolicyConfig policy = policy(root.child("policy"));
    Node audit = root.child("audit");
    audit.objectOrAbsent();
    audit.allowOnly("path");
    Path auditLog = audit.absolutePath("path", stateDir.resolve("audit.log"));
    ServerLimits limits = limits(root.child("limits"));
    Duration approvalTimeout = root.duration("approvalTimeout", DEFAULT_APPROVAL_TIMEOUT);
    Duration pinCacheTime = root.duration("pinCacheTime", DEFAULT_PIN_CACHE_TIME);
    Duration convergeTimeout = root.durationIn("publishConvergeTimeout", DaemonConfig.DEFAULT_PUBLISH_CONVERGE_TIMEOUT,
        Duration.ZERO, Duration.ofHours(1));
    return new DaemonConfig(file, stateDir, socket, tokens, servers, policy, auditLog, limits, approvalTimeout,
        pinCacheTime, convergeTimeout);
  }

  private SocketConfig socket(Node n) throws ConfigException {
    n.objectOrAbsent();
    n.allowOnly("path", "mode", "group");
    Path path = n.absolutePath("path", Protocol.DEFAULT_SOCKET);
    Set<PosixFilePermission> mode = DEFAULT_SOCKET_MODE;
    Node m = n.child("mode");
    if (m.present()) {
      mode = mode(m);
    }
    String group = DEFAULT_SOCKET_GROUP;
    Node g = n.child("group");
    if (g.present()) {
      group = g.isNull() ? null : g.text();
      if (group != null && accounts.gidOf(group).isEmpty()) {
        throw fail(g, "group '" + group + "' does not exist on this machine (create it, or write `group: ~` to keep"
            + " the daemon's group)");
      }
    }
    return new SocketConfig(path, mode, group);
  }

  private Set<PosixFilePermission> mode(Node m) throws ConfigException {
    int bits;
    if (m.node.isIntegralNumber()) {
      // YAML 1.1 reads an unquoted 0660 as octal already.
      bits = m.node.asInt();
    } else {
      String s = m.text().toLowerCase(Locale.ROOT);
      s = s.startsWith("0o") ? s.substring(2) : s;
      if (!s.matches("[0-7]{1,4}")) {
        throw fail(m, "\"" + m.node.asText() + "\" is not an octal mode like \"0660\"");
      }
      bits = Integer.parseInt(s, 8);
    }
    if (bits < 0 || bits > 0777) {
      throw fail(m, m.node.asText() + " is not a file mode: write it quoted and octal, like \"0660\"");
    }
    if ((bits & 0600) != 0600) {
      throw fail(m, String.format("mode %04o must give the daemon read and write (0600)", bits));
    }
    if ((bits & 0111) != 0) {
      throw fail(m, String.format("mode %04o sets execute bits; a socket needs rw only, e.g. \"0660\"", bits));
    }
    Set<PosixFilePermission> out = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
        PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_READ};
    for (int i = 0; i < order.length; i++) {
      if ((bits & (1 << i)) != 0) {
        out.add(order[i]);
      }
    }
    return out;
  }

  private TokenConfig token(Node t) throws ConfigException {
    t.object();
    t.allowOnly("name", "module", "label", "serial", "uri", "pin", "profile", "managementKey", "holders");
    String name = t.name("name");
    TokenConfig.Profile profile = t.choice("profile", Map.of("pkcs11", TokenConfig.Profile.PKCS11, "yubikey",
        TokenConfig.Profile.YUBIKEY), TokenConfig.Profile.PKCS11);
    if (profile == TokenConfig.Profile.YUBIKEY) {
      return yubikeyToken(t, name);
    }
    if (t.child("managementKey").present()) {
      throw fail(t.child("managementKey"), "only a token with profile: yubikey has a management key");
    }
    Path module = t.requiredAbsolutePath("module");
    if (!Files.isRegularFile(module)) {
      throw fail(t.field("module"), module + " does not exist or is not a file (install the PKCS#11 module, e.g."
          + " ykcs11 or softhsm2)");
    }
    String label = t.optionalText("label");
    String serial = t.optionalText("serial");
    TokenSelector uri = null;
    Node u = t.child("uri");
    if (u.present()) {
      if (label != null || serial != null) {
        throw fail(u, "give either uri or label/serial, not both");
      }
      try {
        uri = TokenSelector.parseUri(u.text());
      } catch (TokenException e) {
        throw fail(u, e.getMessage());
      }
      if (!uri.identifiesToken()) {
        throw fail(u, "the URI names no token: give token= or serial=");
      }
    } else if (label == null && serial == null) {
      throw fail(t, "token '" + name + "' needs label, serial or uri to find it among the module's tokens");
    }
    return new TokenConfig(name, module, label, serial, uri, tokenPin(t), TokenConfig.Profile.PKCS11, null,
        holders(t.child("holders")));
  }

  private TokenPin tokenPin(Node t) throws ConfigException {
    Node p = t.child("pin");
    if (!p.present()) {
      return TokenPin.prompt();
    }
    try {
      return TokenPin.parse(p.text());
    } catch (IllegalArgumentException e) {
      throw fail(p, e.getMessage());
    }
  }

  /**
   * {@code profile: yubikey}: ykcs11 (its Debian path unless {@code module} is given), the YubiKey's
   * serial as its identity, and an optional management key source for key generation.
   */
  private TokenConfig yubikeyToken(Node t, String name) throws ConfigException {
    Path module = t.absolutePath("module", YubikeyProfile.DEFAULT_MODULE);
    if (!Files.isRegularFile(module)) {
      throw fail(t.child("module"), module + " does not exist or is not a file (install Yubico's PKCS#11 module:"
          + " apt install ykcs11)");
    }
    for (String f : List.of("label", "uri")) {
      if (t.child(f).present()) {
        throw fail(t.child(f), "a yubikey token is found by its serial only (ykcs11 labels are \"YubiKey PIV #<serial>\")");
      }
    }
    String serial = t.optionalText("serial");
    if (serial == null) {
      throw fail(t.child("serial"), "is required for profile: yubikey (the YubiKey's serial number, printed on it"
          + " and shown by `ykman list --serials`)");
    }
    if (!serial.matches("[0-9]{1,10}")) {
      throw fail(t.child("serial"), "\"" + serial + "\" is not a YubiKey serial number (decimal digits)");
    }
    TokenManagementKey mgm = null;
    Node m = t.child("managementKey");
    if (m.present() && !m.isNull()) {
      try {
        mgm = TokenManagementKey.parse(m.text());
      } catch (IllegalArgumentException e) {
        throw fail(m, e.getMessage());
      } catch (ConfigException e) {
        // a key written unquoted may be a number: do not echo it
        throw fail(m, "must be a string: file:/path, env:VAR, credential:NAME or default (never the key itself)");
      }
    }
    return new TokenConfig(name, module, null, serial, null, tokenPin(t), TokenConfig.Profile.YUBIKEY, mgm,
        holders(t.child("holders")));
  }

  /**
   * {@code tokens[].holders}: {@code {users: [...], uids: [...], groups: [...], gids: [...]}}, at least
   * one name or id; absent = no holders.
   */
  private TokenHolders holders(Node h) throws ConfigException {
    if (!h.present() || h.isNull()) {
      return TokenHolders.NONE;
    }
    h.object();
    h.allowOnly("users", "uids", "groups", "gids");
    Set<Long> uids = new LinkedHashSet<>();
    for (Node u : h.child("users").list()) {
      String user = u.text();
      uids.add(accounts.uidOf(user).orElseThrow(() -> fail(u, "no such user '" + user + "'")));
    }
    for (Node u : h.child("uids").list()) {
      uids.add(u.nonNegativeLong());
    }
    Set<Long> gids = new LinkedHashSet<>();
    for (Node g : h.child("groups").list()) {
      String group = g.text();
      gids.add(accounts.gidOf(group).orElseThrow(() -> fail(g, "no such group '" + group + "'")));
    }
    for (Node g : h.child("gids").list()) {
      gids.add(g.nonNegativeLong());
    }
    if (uids.isEmpty() && gids.isEmpty()) {
      throw fail(h, "names nobody: give users, uids, groups or gids (or leave holders out)");
    }
    return new TokenHolders(uids, gids);
  }

  private ServerConfig server(Node s, boolean first) throws ConfigException {
    s.object();
    s.allowOnly("name", "url", "caFile", "credentialsFile");
    String name = s.child("name").present() ? s.name("name") : first ? "default" : s.name("name");
    Node u = s.field("url");
    URI url;
    try {
      url = new URI(u.text());
    } catch (URISyntaxException e) {
      throw fail(u, "\"" + u.text() + "\" is not a URL: " + e.getReason());
    }
    if (!("https".equals(url.getScheme()) || "http".equals(url.getScheme())) || url.getHost() == null) {
      throw fail(u, "\"" + u.text() + "\" must be an http:// or https:// URL with a host");
    }
    if (url.getRawQuery() != null || url.getRawFragment() != null || url.getRawUserInfo() != null) {
      throw fail(u, "\"" + u.text() + "\" must not carry a query, fragment or credentials (use credentialsFile)");
    }
    Path ca = null;
    if (s.child("caFile").present()) {
      ca = s.requiredAbsolutePath("caFile");
      if (!Files.isReadable(ca)) {
        throw fail(s.field("caFile"), ca + " does not exist or is not readable");
      }
    }
    Path cred = null;
    if (s.child("credentialsFile").present()) {
      cred = s.requiredAbsolutePath("credentialsFile");
      if (!Files.isReadable(cred)) {
        throw fail(s.field("credentialsFile"), cred + " does not exist or is not readable");
      }
      try {
        if (Files.getPosixFilePermissions(cred).contains(PosixFilePermission.OTHERS_READ)) {
          throw fail(s.field("credentialsFile"), cred + " is readable by everyone: run `chmod 0600 " + cred + "`");
        }
      } catch (IOException e) {
        throw fail(s.field("credentialsFile"), "cannot check " + cred + ": " + e.getMessage());
      }
    }
    return new ServerConfig(name, url, ca, cred);
  }

  private PolicyConfig policy(Node n) throws ConfigException {
    n.objectOrAbsent();
    n.allowOnly("custodianGroup", "rules");
    String custodians = n.child("custodianGroup").present() ? n.name("custodianGroup") : DEFAULT_CUSTODIAN_GROUP;
    List<Rule> rules = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (Node r : n.child("rules").list()) {
      Rule rule = rule(r);
      if (!names.add(rule.name())) {
        throw fail(r.field("name"), "rule name '" + rule.name() + "' is used twice");
      }
      rules.add(rule);
    }
    return new PolicyConfig(custodians, rules);
  }

  private Rule rule(Node r) throws ConfigException {
    r.object();
    r.allowOnly("name", "users", "uids", "groups", "gids", "guns", "roles", "operations", "effect", "approval");
    String name = r.field("name").text();
    if (name.isBlank()) {
      throw fail(r.field("name"), "must not be blank");
    }
    Set<Long> uids = new LinkedHashSet<>();
    for (Node u : r.child("users").list()) {
      String user = u.text();
      uids.add(accounts.uidOf(user).orElseThrow(() -> fail(u, "no such user '" + user + "'")));
    }
    for (Node u : r.child("uids").list()) {
      uids.add(u.nonNegativeLong());
    }
    Set<Long> gids = new LinkedHashSet<>();
    for (Node g : r.child("groups").list()) {
      String group = g.text();
      gids.add(accounts.gidOf(group).orElseThrow(() -> fail(g, "no such group '" + group + "'")));
    }
    for (Node g : r.child("gids").list()) {
      gids.add(g.nonNegativeLong());
    }
    if (uids.isEmpty() && gids.isEmpty()) {
      throw fail(r, "rule '" + name + "' names no caller: give users, uids, groups or gids");
    }
    List<Glob> guns = globs(r.child("guns"));
    List<Glob> roles = globs(r.child("roles"));
    Set<Operation> ops = EnumSet.noneOf(Operation.class);
    for (Node o : r.child("operations").list()) {
      String s = o.text();
      if (s.equals("*")) {
        ops = EnumSet.noneOf(Operation.class);
        break;
      }
      ops.add(Operation.findByWireName(s).orElseThrow(() -> fail(o, "unknown operation '" + s + "' (known: *, "
          + String.join(", ", java.util.Arrays.stream(Operation.values()).map(Operation::wireName).toList()) + ")")));
    }
    Rule.Effect effect = r.choice("effect", Map.of("allow", Rule.Effect.ALLOW, "deny", Rule.Effect.DENY),
        Rule.Effect.ALLOW);
    boolean approval = r.choice("approval", Map.of("required", true, "none", false), false);
    if (effect == Rule.Effect.DENY && approval) {
      throw fail(r.field("approval"), "a deny rule cannot require an approval");
    }
    return new Rule(name, uids, gids, guns, roles, ops, effect, approval);
  }

  private List<Glob> globs(Node list) throws ConfigException {
    List<Glob> out = new ArrayList<>();
    for (Node g : list.list()) {
      String s = g.text();
      if (s.isEmpty() || s.chars().anyMatch(Character::isWhitespace)) {
        throw fail(g, "\"" + s + "\" is not a pattern (no blanks; * within a path segment, ** across)");
      }
      out.add(Glob.of(s));
    }
    return out;
  }

  private ServerLimits limits(Node n) throws ConfigException {
    n.objectOrAbsent();
    n.allowOnly("maxRequestBytes", "maxConnections", "maxInFlightPerCaller", "workerThreads", "idleTimeout",
        "requestReadTimeout", "shutdownGrace");
    ServerLimits d = ServerLimits.DEFAULTS;
    int maxRequest = (int) n.size("maxRequestBytes", d.maxRequestBytes(), 1024, 64L << 20);
    int maxConnections = n.intIn("maxConnections", d.maxConnections(), 1, 4096);
    int maxInFlight = n.intIn("maxInFlightPerCaller", d.maxInFlightPerCaller(), 1, 4096);
    int workers = n.intIn("workerThreads", d.workerThreads(), 1, 512);
    Duration idle = n.durationIn("idleTimeout", d.idleTimeout(), Duration.ofSeconds(1), Duration.ofDays(1));
    Duration read = n.durationIn("requestReadTimeout", d.requestReadTimeout(), Duration.ofMillis(100),
        Duration.ofHours(1));
    Duration grace = n.durationIn("shutdownGrace", d.shutdownGrace(), Duration.ZERO, Duration.ofHours(1));
    return new ServerLimits(maxRequest, maxConnections, maxInFlight, workers, idle, read, grace);
  }

  // ---- parsing helpers ----

  private ConfigException fail(Node n, String problem) {
    return new ConfigException(file, n.path, problem);
  }

  static Duration parseDuration(String s) {
    Matcher m = DURATION.matcher(s.trim());
    if (m.matches()) {
      long v = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(v);
        case "s" -> Duration.ofSeconds(v);
        case "m" -> Duration.ofMinutes(v);
        case "h" -> Duration.ofHours(v);
        default -> Duration.ofDays(v);
      };
    }
    try {
      return Duration.parse(s.trim());
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("\"" + s + "\" is not a duration (use 500ms, 30s, 5m, 1h, 2d)");
    }
  }

  static long parseSize(String s) {
    Matcher m = SIZE.matcher(s.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("\"" + s + "\" is not a size (use 1048576, 512KiB, 1MiB)");
    }
    long v = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2);
    long mult = switch (unit) {
      case "KiB", "K" -> 1L << 10;
      case "MiB", "M" -> 1L << 20;
      case "GiB", "G" -> 1L << 30;
      default -> 1L;
    };
    return Math.multiplyExact(v, mult);
  }

  /** A YAML node with its field path, for messages. */
  private final class Node {
    final JsonNode node;
    final String path;

    Node(JsonNode node, String path) {
      this.node = node;
      this.path = path;
    }

    boolean present() {
      return node != null && !node.isMissingNode();
    }

    boolean isNull() {
      return node != null && node.isNull();
    }

    Node child(String name) {
      JsonNode c = node == null ? null : node.get(name);
      return new Node(c, path.isEmpty() ? name : path + "." + name);
    }

    /** A required child. */
    Node field(String name) throws ConfigException {
      Node c = child(name);
      if (!c.present() || c.isNull()) {
        throw fail(c, "is required");
      }
      return c;
    }

    void object() throws ConfigException {
      if (!present() || !node.isObject()) {
        throw fail(this, "must be a mapping (key: value)" + (path.isEmpty() ? " at the top of the file" : ""));
      }
    }

    void objectOrAbsent() throws ConfigException {
      if (present() && !node.isNull()) {
        object();
      }
    }

    void allowOnly(String... known) throws ConfigException {
      if (!present() || !node.isObject()) {
        return;
      }
      Set<String> k = Set.of(known);
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (!k.contains(f)) {
          throw fail(child(f), "unknown field (known here: " + String.join(", ", new TreeSet<>(k)) + ")");
        }
      }
    }

    List<Node> list() throws ConfigException {
      List<Node> out = new ArrayList<>();
      if (!present() || node.isNull()) {
        return out;
      }
      if (!node.isArray()) {
        throw fail(this, "must be a list");
      }
      for (int i = 0; i < node.size(); i++) {
        out.add(new Node(node.get(i), path + "[" + i + "]"));
      }
      return out;
    }

    String text() throws ConfigException {
      if (!present() || !node.isTextual()) {
        throw fail(this, "must be a string" + (present() && !node.isNull() ? " (got " + node + "; quote it)" : ""));
      }
      return node.asText();
    }

    String optionalText(String name) throws ConfigException {
      Node c = child(name);
      if (!c.present() || c.isNull()) {
        return null;
      }
      if (c.node.isNumber()) {
        return c.node.asText(); // serials are often written unquoted
      }
      String s = c.text();
      if (s.isEmpty()) {
        throw fail(c, "must not be empty");
      }
      return s;
    }

    String name(String field) throws ConfigException {
      Node c = field(field);
      String s = c.text();
      if (!NAME.matcher(s).matches()) {
        throw fail(c, "\"" + s + "\" is not a name (letters, digits, '.', '_', '-'; at most 64)");
      }
      return s;
    }

    long nonNegativeLong() throws ConfigException {
      if (!node.canConvertToExactIntegral() || node.asLong() < 0) {
        throw fail(this, "must be a non-negative integer (got " + node + ")");
      }
      return node.asLong();
    }

    Path requiredAbsolutePath(String field) throws ConfigException {
      Node c = field(field);
      Path p = Path.of(c.text());
      if (!p.isAbsolute()) {
        throw fail(c, "\"" + c.text() + "\" must be an absolute path");
      }
      return p.normalize();
    }

    Path absolutePath(String field, Path dflt) throws ConfigException {
      Node c = child(field);
      return c.present() && !c.isNull() ? requiredAbsolutePath(field) : dflt;
    }

    <T> T choice(String field, Map<String, T> choices, T dflt) throws ConfigException {
      Node c = child(field);
      if (!c.present() || c.isNull()) {
        return dflt;
      }
      String s = c.text();
      T v = choices.get(s);
      if (v == null) {
        throw fail(c, "\"" + s + "\" is not one of " + String.join(", ", new TreeSet<>(choices.keySet())));
      }
      return v;
    }

    int intIn(String field, int dflt, int min, int max) throws ConfigException {
      Node c = child(field);
      if (!c.present() || c.isNull()) {
        return dflt;
      }
      if (!c.node.canConvertToExactIntegral()) {
        throw fail(c, "must be an integer (got " + c.node + ")");
      }
      long v = c.node.asLong();
      if (v < min || v > max) {
        throw fail(c, "must be between " + min + " and " + max + " (got " + v + ")");
      }
      return (int) v;
    }

    Duration duration(String field, Duration dflt) throws ConfigException {
      return durationIn(field, dflt, Duration.ofMillis(1), Duration.ofDays(365));
    }

    Duration durationIn(String field, Duration dflt, Duration min, Duration max) throws ConfigException {
      Node c = child(field);
      if (!c.present() || c.isNull()) {
        return dflt;
      }
      if (c.node.isNumber()) {
        throw fail(c, c.node + " has no unit: write e.g. " + c.node + "s");
      }
      Duration d = parse(c, ConfigLoader::parseDuration);
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        throw fail(c, "must be between " + human(min) + " and " + human(max) + " (got " + c.node.asText() + ")");
      }
      return d;
    }

    long size(String field, long dflt, long min, long max) throws ConfigException {
      Node c = child(field);
      if (!c.present() || c.isNull()) {
        return dflt;
      }
      long v = c.node.canConvertToExactIntegral() ? c.node.asLong() : parse(c, ConfigLoader::parseSize);
      if (v < min || v > max) {
        throw fail(c, "must be between " + min + " and " + max + " bytes (got " + c.node.asText() + ")");
      }
      return v;
    }

    private <T> T parse(Node c, Function<String, T> parser) throws ConfigException {
      String s = c.text();
      try {
        return parser.apply(s);
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw fail(c, e.getMessage());
      }
    }
  }

  private static String human(Duration d) {
    return d.isZero() ? "0s" : d.toString().substring(2).toLowerCase(Locale.ROOT);
  }
}
