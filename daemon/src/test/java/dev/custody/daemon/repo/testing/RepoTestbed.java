package dev.custody.daemon.repo.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.Daemon;
import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.daemon.keys.KeysExtension;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.repo.RepoExtension;
import dev.custody.protocol.CustodyException;
import dev.custody.testhsm.DaemonYaml;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryServer;
import dev.custody.testhsm.SoftHsm;
import dev.custody.tuf.sign.Signer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One custodyd in this JVM with the keys and repository extensions over a SoftHSM2 token, a real notary-server
 * on 127.0.0.1 (one per test JVM), and real notary CLIs to check what was published.
 */
public final class RepoTestbed implements AutoCloseable {
    private static NotaryServer server;
    private static Path serverDir;

    private final Path dir;
    private final SoftHsm.Token token;
    private KeysExtension keysExtension;
    private Daemon daemon;
    private DaemonConfig config;
    private String extraServers = "";
    private String socketLines = DEFAULT_SOCKET;

    /** The socket lines of {@link #configText} unless a test gives its own: no group change. */
    public static final String DEFAULT_SOCKET = DaemonYaml.NO_GROUP;

    private RepoTestbed(Path dir, SoftHsm.Token token) {
        this.dir = dir;
        this.token = token;
    }

    public static synchronized NotaryServer server() throws IOException {
        if (server == null || !server.isAlive()) {
            serverDir = Files.createTempDirectory("custody-repo-notary-");
            server = NotaryServer.startHttp(serverDir);
            NotaryServer s = server;
            Runtime.getRuntime().addShutdownHook(new Thread(s::close));
        }
        return server;
    }

    /** A daemon in {@code dir} with {@code yaml} (servers, policy, timeouts) added to the base config. */
    public static RepoTestbed start(Path dir, String yaml) throws Exception {
        return start(dir, yaml, "");
    }

    /** @param extraServers more entries for the {@code servers} list (YAML list items, indented by 2) */
    public static RepoTestbed start(Path dir, String yaml, String extraServers) throws Exception {
        return start(dir, yaml, extraServers, DEFAULT_SOCKET);
    }

    /**
     * @param socketLines the {@code socket} section's lines after {@code path} (indented by 2), e.g.
     *     {@code mode} and {@code group} for a socket another uid connects to
     */
    public static RepoTestbed start(Path dir, String yaml, String extraServers, String socketLines) throws Exception {
        SoftHsm.Token token = SoftHsm.forThisProcess()
                .createToken("repo-" + UUID.randomUUID().toString().substring(0, 8));
        Files.writeString(dir.resolve("pin"), token.userPin() + "\n");
        RepoTestbed t = new RepoTestbed(dir, token);
        t.extraServers = extraServers;
        t.socketLines = socketLines;
        t.restart(yaml);
        return t;
    }

    /**
     * Config text for a daemon in {@code dir} talking to {@code url}, with one SoftHSM2 token named
     * {@code main} whose PIN comes from {@code pin} ({@code file:…} or {@code env:…}).
     */
    public static String configText(
            Path dir, String url, String tokenLabel, String pin, String yaml, String extraServers) {
        return configText(dir, url, tokenLabel, pin, yaml, extraServers, DEFAULT_SOCKET);
    }

    /** {@link #configText(Path, String, String, String, String, String)} with these socket lines. */
    public static String configText(
            Path dir, String url, String tokenLabel, String pin, String yaml, String extraServers, String socketLines) {
        return DaemonYaml.in(dir)
                .socketLines(socketLines)
                .token("main", SoftHsm.MODULE, tokenLabel, pin)
                .server("default", url)
                .servers(extraServers)
                .limit("maxRequestBytes", "16MiB")
                .more(yaml)
                .text();
    }

    /**
     * Policy (YAML) under which this uid is a custodian whose root rotations wait for {@code approver}'s
     * approval, for at most {@code timeout}.
     */
    public static String rootRotationApproval(long approver, String timeout) {
        long uid = UnixAccounts.selfUid();
        return """
        approvalTimeout: %s
        policy:
          rules:
            - name: root-needs-approval
              uids: [%d]
              operations: [rotate]
              roles: [root]
              approval: required
            - name: custodians
              uids: [%d]
            - name: second-custodian
              uids: [%d]
              operations: [approve]
        """.formatted(timeout, uid, uid, approver);
    }

    /** Stops the daemon (if running) and starts it again on the same state with {@code yaml}. */
    public void restart(String yaml) throws Exception {
        stop();
        config = ConfigLoader.parse(
                configText(
                        dir,
                        server().url(),
                        token.label(),
                        "file:" + dir.resolve("pin"),
                        yaml,
                        extraServers,
                        socketLines),
                dir.resolve("custodyd.yaml"),
                ConfigLoader.Accounts.SYSTEM);
        keysExtension = new KeysExtension();
        daemon = Daemon.start(
                config,
                Map.of(),
                List.of(keysExtension, new RepoExtension(keysExtension::keyService, Map.of())),
                Clock.systemUTC());
    }

    public void stop() {
        if (daemon != null) {
            daemon.stop();
            daemon = null;
        }
    }

    public DaemonConfig config() {
        return config;
    }

    /**
     * A new key made through the socket ({@code key.generate}) on the daemon's token, as its signer
     * (for the public key a delegation lists).
     */
    public Signer newKey(String gun, String role) throws Exception {
        try (CustodyClient c = client()) {
            String id = c.call("key.generate", params("role", role, "gun", gun))
                    .get("keyId")
                    .asText();
            return keysExtension.keyService().findSigner(id).orElseThrow();
        }
    }

    /**
     * Through {@code c}: {@code gun} initialised with target "base" published, and the delegation {@code role}
     * (all paths) to a {@link #newKey new key}, published.
     */
    public void publishedWithDelegation(CustodyClient c, String gun, String role) throws Exception {
        c.call("repo.init", params("gun", gun));
        c.call("repo.add", target(gun, "base", "base").put("publish", true));
        c.call(
                "delegation.add",
                params(
                        "gun",
                        gun,
                        "role",
                        role,
                        "keys",
                        List.of(publicKeyPem(newKey(gun, role))),
                        "allPaths",
                        true,
                        "publish",
                        true));
    }

    /** The signer's public key as PEM, as a delegation lists it. */
    public static String publicKeyPem(Signer s) {
        return "-----BEGIN PUBLIC KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes())
                        .encodeToString(s.publicKey().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    /** The daemon's trusted copy of {@code role}'s metadata for {@code gun} (in its state directory). */
    public Path trustedMetadata(String gun, String role) {
        return config.stateDir()
                .resolve("repos")
                .resolve(java.net.URLEncoder.encode(gun, java.nio.charset.StandardCharsets.UTF_8))
                .resolve("tuf")
                .resolve(gun)
                .resolve("metadata")
                .resolve(role + ".json");
    }

    /** Waits for the first pending request {@code custodian} sees in {@code pending.list}; it. */
    public static JsonNode awaitPending(CustodyClient custodian) throws Exception {
        while (true) {
            JsonNode p = custodian.call("pending.list", params());
            if (p.get("pending").size() > 0) {
                return p.get("pending").get(0);
            }
            Thread.sleep(20);
        }
    }

    public CustodyClient client() throws IOException {
        return CustodyClient.connect(config.socket().path());
    }

    public NotaryCli notary(String name) throws IOException {
        return NotaryCli.create(Files.createTempDirectory(dir, "notary-" + name + "-"), server());
    }

    public static String newGun(String team) {
        return "example.com/" + team + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    public static ObjectNode params(Object... kv) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            if (v instanceof String s) {
                o.put((String) kv[i], s);
            } else if (v instanceof Boolean b) {
                o.put((String) kv[i], b);
            } else if (v instanceof Integer n) {
                o.put((String) kv[i], n);
            } else if (v instanceof Long n) {
                o.put((String) kv[i], n);
            } else if (v instanceof JsonNode n) {
                o.set((String) kv[i], n);
            } else if (v instanceof List<?> l) {
                ArrayNode a = o.putArray((String) kv[i]);
                l.forEach(x -> a.add(String.valueOf(x)));
            }
        }
        return o;
    }

    /** {@code repo.add} params for a target whose content is {@code content}. */
    public static ObjectNode target(String gun, String name, String content) throws Exception {
        byte[] b = content.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return params("gun", gun, "target", name, "length", (long) b.length, "sha256", sha256(b));
    }

    public static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    public static String sha256(String s) throws Exception {
        return sha256(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public static JsonNode call(CustodyClient c, String method, ObjectNode params)
            throws CustodyException, IOException {
        return c.call(method, params);
    }

    @Override
    public void close() {
        stop();
    }
}
