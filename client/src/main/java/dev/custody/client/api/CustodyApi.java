package dev.custody.client.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.protocol.AuditVerification;
import dev.custody.protocol.BatchPart;
import dev.custody.protocol.BatchSignatures;
import dev.custody.protocol.BatchTarget;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.DaemonStatus;
import dev.custody.protocol.DaemonUnavailableException;
import dev.custody.protocol.Decision;
import dev.custody.protocol.DelegationChange;
import dev.custody.protocol.DelegationList;
import dev.custody.protocol.DeleteResult;
import dev.custody.protocol.InitResult;
import dev.custody.protocol.KeyInfo;
import dev.custody.protocol.KeyRotateResult;
import dev.custody.protocol.KeyScan;
import dev.custody.protocol.Methods;
import dev.custody.protocol.PendingApproval;
import dev.custody.protocol.PingResult;
import dev.custody.protocol.Protocol;
import dev.custody.protocol.PublishResult;
import dev.custody.protocol.RawSignature;
import dev.custody.protocol.RepoAdoptResult;
import dev.custody.protocol.RepoStatus;
import dev.custody.protocol.ResetResult;
import dev.custody.protocol.Staged;
import dev.custody.protocol.TargetInfo;
import dev.custody.protocol.TargetList;
import dev.custody.protocol.TokenStatus;
import dev.custody.protocol.TokenUnlockResult;
import java.io.Closeable;
import java.io.IOException;
import java.nio.CharBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The typed Java client of custodyd: one method per socket method of the catalog
 * ({@code docs/protocol-methods.md}), typed results, and the daemon's errors as the
 * {@link CustodyException} subclass for their code ({@code PolicyDeniedException},
 * {@code TokenAbsentException}, …).
 *
 * <p>Call sequence: {@link #connect(Path)} → any number of calls → {@link #close()}. One
 * connection, one call at a time; use one instance per thread. Results are read leniently: fields a
 * newer daemon adds are ignored, so a build tool keeps working across daemon upgrades. Requests are
 * sent exactly as the catalog names them; optional parameters left null are not sent.
 *
 * <pre>{@code
 * try (CustodyApi custody = CustodyApi.connect(Path.of("/run/custody/custody.sock"))) {
 *   custody.repoAdd("registry.example.com/team/app", "v1.2", 1374, sha256Hex, null, "targets/ci", true);
 * } catch (ApprovalRequiredException e) {
 *   System.err.println("waiting for approval " + e.approvalId().orElse("?"));
 * }
 * }</pre>
 */
public final class CustodyApi implements Closeable {
    /** The lenient mapper, made on first use: {@code custody status} prints its table from the reply's tree. */
    private static final class Lenient {
        static final ObjectMapper READER = JsonMapper.builder()
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final CustodyClient client;
    private String server;
    private List<String> serverCaSha256;

    /** Wraps an open protocol client; {@link #close()} closes it. */
    public CustodyApi(CustodyClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    /** Connects to {@code $CUSTODY_SOCKET}, else {@code /run/custody/custody.sock}. */
    public static CustodyApi connect() throws DaemonUnavailableException {
        return connect(Protocol.socketFromEnvironment(System.getenv()));
    }

    /** Connects to {@code socket}; calls wait for their answer without limit (approvals take minutes). */
    public static CustodyApi connect(Path socket) throws DaemonUnavailableException {
        return new CustodyApi(CustodyClient.connectUntimed(socket));
    }

    /**
     * Sends {@code server} (a Notary server's URL, or its name in custodyd's config) with every method
     * that accepts it: {@code repo.*}, {@code delegation.add/remove}, {@code key.rotate}. custodyd uses
     * the configured server with that name or URL and refuses any other. Null: the daemon's default server.
     */
    public CustodyApi server(String nameOrUrl) {
        this.server = nameOrUrl;
        return this;
    }

    /**
     * Sends {@code serverCaSha256} with {@link #server}: the SHA-256 fingerprints of the CA certificates
     * the caller trusts for the server; custodyd refuses when the CA it uses for it differs. Null: no check.
     */
    public CustodyApi serverCa(List<String> sha256Fingerprints) {
        this.serverCaSha256 = sha256Fingerprints == null ? null : List.copyOf(sha256Fingerprints);
        return this;
    }

    /** The protocol client underneath, for methods this version does not wrap yet. */
    public CustodyClient protocol() {
        return client;
    }

    // ---- daemon and tokens

    public PingResult ping(String echo) throws CustodyException, IOException {
        return call(Methods.PING, params().put("echo", echo == null ? "" : echo), PingResult.class);
    }

    public DaemonStatus status() throws CustodyException, IOException {
        return call(Methods.STATUS, null, DaemonStatus.class);
    }

    public List<TokenStatus> tokenList() throws CustodyException, IOException {
        return list(call(Methods.TOKEN_LIST, params()), "tokens", new TypeReference<List<TokenStatus>>() {});
    }

    /**
     * Unlocks {@code token} with {@code pin}. The PIN travels over the socket only; this method wipes
     * the array before it returns.
     */
    public TokenUnlockResult tokenUnlock(String token, char[] pin) throws CustodyException, IOException {
        Objects.requireNonNull(pin, "pin");
        try {
            ObjectNode p = params().put("token", token);
            p.put("pin", CharBuffer.wrap(pin).toString());
            return call(Methods.TOKEN_UNLOCK, p, TokenUnlockResult.class);
        } finally {
            Arrays.fill(pin, '\0');
        }
    }

    /** Forgets the token's PIN ({@code C_Logout}); returns the token's name. */
    public String tokenLock(String token) throws CustodyException, IOException {
        return call(Methods.TOKEN_LOCK, params().put("token", token))
                .path("token")
                .asText(token);
    }

    // ---- keys

    /** Keys on every configured token; only those of {@code gun} and the GUN-less ones if gun is given. */
    public List<KeyInfo> keyList(String gun) throws CustodyException, IOException {
        return list(call(Methods.KEY_LIST, opt(params(), "gun", gun)), "keys", new TypeReference<List<KeyInfo>>() {});
    }

    /** Generates a non-extractable key on a token. {@code algorithm}: {@code ecdsa} (default) or {@code ed25519}. */
    public KeyInfo keyGenerate(String role, String gun, String token, String algorithm)
            throws CustodyException, IOException {
        return keyGenerate(role, gun, token, algorithm, null);
    }

    /**
     * Generates a key on a token; {@code slot} is the PIV slot ({@code 9a}, {@code 9c}, {@code 9d},
     * {@code 9e}, {@code 82}..{@code 95}) on a {@code profile: yubikey} token, null for the first empty one.
     */
    public KeyInfo keyGenerate(String role, String gun, String token, String algorithm, String slot)
            throws CustodyException, IOException {
        ObjectNode p = params().put("role", role);
        opt(p, "gun", gun);
        opt(p, "token", token);
        opt(p, "algorithm", algorithm);
        opt(p, "slot", slot);
        return call(Methods.KEY_GENERATE, p, KeyInfo.class);
    }

    /**
     * Moves a notary/docker trust_dir PEM key onto a token. {@code passphrase} (for an encrypted key)
     * is wiped before this returns.
     */
    public KeyInfo keyImport(String pem, char[] passphrase, String role, String gun, String token)
            throws CustodyException, IOException {
        return keyImport(pem, passphrase, role, gun, token, false);
    }

    public String keyRemove(String keyId) throws CustodyException, IOException {
        return call(Methods.KEY_REMOVE, params().put("keyId", keyId))
                .path("keyId")
                .asText(keyId);
    }

    /** notary {@code key rotate GUN ROLE [-r]}: {@code serverManaged} hands the key to the server. */
    public KeyRotateResult keyRotate(String gun, String role, boolean serverManaged)
            throws CustodyException, IOException {
        ObjectNode p = params().put("gun", gun).put("role", role);
        if (serverManaged) {
            p.put("serverManaged", true);
        }
        return call(Methods.KEY_ROTATE, withServer(p), KeyRotateResult.class);
    }

    /** Signs raw bytes; only for callers policy grants {@code sign.raw}. */
    public RawSignature signRaw(String keyId, byte[] data) throws CustodyException, IOException {
        return call(
                Methods.SIGN_RAW,
                params().put("keyId", keyId)
                        .put("data", java.util.Base64.getEncoder().encodeToString(data)),
                RawSignature.class);
    }

    /**
     * Signs up to 1024 payloads with one key in one call ({@code sign.batch}, one audit line for all);
     * the signatures come back in the order of {@code data}. Only for callers granted {@code sign.raw}.
     */
    public BatchSignatures signBatch(String keyId, List<byte[]> data) throws CustodyException, IOException {
        ArrayNode items = JSON.arrayNode();
        java.util.Base64.Encoder enc = java.util.Base64.getEncoder();
        for (byte[] d : data) {
            items.add(enc.encodeToString(d));
        }
        ObjectNode p = params().put("keyId", keyId);
        p.set("data", items);
        return call(Methods.SIGN_BATCH, p, BatchSignatures.class);
    }

    // ---- repositories

    public InitResult repoInit(
            String gun, List<String> rootKeyIds, Integer rootThreshold, boolean serverManagedSnapshot, boolean publish)
            throws CustodyException, IOException {
        ObjectNode p = params().put("gun", gun);
        if (rootKeyIds != null && rootKeyIds.size() == 1) {
            p.put("rootKeyId", rootKeyIds.get(0));
        } else if (rootKeyIds != null && !rootKeyIds.isEmpty()) {
            p.set("rootKeyIds", strings(rootKeyIds));
        }
        if (rootThreshold != null) {
            p.put("rootThreshold", rootThreshold);
        }
        if (serverManagedSnapshot) {
            p.put("serverManagedSnapshot", true);
        }
        flag(p, "publish", publish);
        return call(Methods.REPO_INIT, withServer(p), InitResult.class);
    }

    public Staged repoAdd(
            String gun, String target, long length, String sha256, String sha512, String role, boolean publish)
            throws CustodyException, IOException {
        ObjectNode p = params().put("gun", gun)
                .put("target", target)
                .put("length", length)
                .put("sha256", sha256);
        opt(p, "sha512", sha512);
        opt(p, "role", role);
        flag(p, "publish", publish);
        return call(Methods.REPO_ADD, withServer(p), Staged.class);
    }

    public Staged repoAddBatch(String gun, String role, List<BatchTarget> targets, boolean publish)
            throws CustodyException, IOException {
        return repoAddBatch(gun, role, targets, null, publish);
    }

    /**
     * The last part of a batch sent in parts ({@code batchId} from {@link #repoAddBatchPart}; null: the batch is
     * this one request): the daemon stages every target of the batch in one atomic write, or none.
     */
    public Staged repoAddBatch(String gun, String role, List<BatchTarget> targets, String batchId, boolean publish)
            throws CustodyException, IOException {
        ObjectNode p = params().put("gun", gun);
        opt(p, "role", role);
        p.set("targets", Lenient.READER.valueToTree(targets));
        opt(p, "batchId", batchId);
        flag(p, "publish", publish);
        return call(Methods.REPO_ADD_BATCH, withServer(p), Staged.class);
    }

    /**
     * A part of a batch that more parts follow ({@code batchId} null for the first): kept aside by the daemon,
     * nothing staged until {@link #repoAddBatch(String, String, List, String, boolean)} sends the last part.
     */
    public BatchPart repoAddBatchPart(String gun, String role, List<BatchTarget> targets, String batchId)
            throws CustodyException, IOException {
        ObjectNode p = params().put("gun", gun);
        opt(p, "role", role);
        p.set("targets", Lenient.READER.valueToTree(targets));
        opt(p, "batchId", batchId);
        p.put("more", true);
        return call(Methods.REPO_ADD_BATCH, withServer(p), BatchPart.class);
    }

    public Staged repoRemove(String gun, String target, String role, boolean publish)
            throws CustodyException, IOException {
        ObjectNode p = params().put("gun", gun).put("target", target);
        opt(p, "role", role);
        flag(p, "publish", publish);
        return call(Methods.REPO_REMOVE, withServer(p), Staged.class);
    }

    /** The targets on the server, verified; {@code role} limits them to one role. */
    public TargetList repoList(String gun, String role) throws CustodyException, IOException {
        return call(Methods.REPO_LIST, withServer(opt(params().put("gun", gun), "role", role)), TargetList.class);
    }

    /** One target, or {@code NotFoundException}. */
    public TargetInfo repoLookup(String gun, String target) throws CustodyException, IOException {
        return call(Methods.REPO_LOOKUP, withServer(params().put("gun", gun).put("target", target)), TargetInfo.class);
    }

    public RepoStatus repoStatus(String gun) throws CustodyException, IOException {
        return call(Methods.REPO_STATUS, withServer(params().put("gun", gun)), RepoStatus.class);
    }

    public ResetResult repoReset(String gun) throws CustodyException, IOException {
        return call(Methods.REPO_RESET, withServer(params().put("gun", gun)), ResetResult.class);
    }

    public PublishResult repoPublish(String gun) throws CustodyException, IOException {
        return call(Methods.REPO_PUBLISH, withServer(params().put("gun", gun)), PublishResult.class);
    }

    public Staged repoWitness(String gun, Collection<String> roles, boolean publish)
            throws CustodyException, IOException {
        ObjectNode p = params().put("gun", gun);
        p.set("roles", strings(roles));
        flag(p, "publish", publish);
        return call(Methods.REPO_WITNESS, withServer(p), Staged.class);
    }

    public DeleteResult repoDelete(String gun, boolean remote) throws CustodyException, IOException {
        ObjectNode p = params().put("gun", gun);
        flag(p, "remote", remote);
        return call(Methods.REPO_DELETE, withServer(p), DeleteResult.class);
    }

    // ---- delegations

    /**
     * Adds (or adds keys and paths to) a delegation. {@code keys} are PEM public keys or
     * certificates; {@code allPaths} delegates every path ({@code ""}).
     */
    public DelegationChange delegationAdd(
            String gun,
            String role,
            List<String> keys,
            List<String> paths,
            boolean allPaths,
            Integer threshold,
            boolean publish)
            throws CustodyException, IOException {
        ObjectNode p = params().put("gun", gun).put("role", role);
        p.set("keys", strings(keys));
        if (paths != null && !paths.isEmpty()) {
            p.set("paths", strings(paths));
        }
        flag(p, "allPaths", allPaths);
        if (threshold != null) {
            p.put("threshold", threshold);
        }
        flag(p, "publish", publish);
        return call(Methods.DELEGATION_ADD, withServer(p), DelegationChange.class);
    }

    /** Removes keys or paths from a delegation, or the whole delegation when both are empty. */
    public DelegationChange delegationRemove(
            String gun, String role, List<String> keyIds, List<String> paths, boolean publish)
            throws CustodyException, IOException {
        ObjectNode p = params().put("gun", gun).put("role", role);
        if (keyIds != null && !keyIds.isEmpty()) {
            p.set("keyIds", strings(keyIds));
        }
        if (paths != null && !paths.isEmpty()) {
            p.set("paths", strings(paths));
        }
        flag(p, "publish", publish);
        return call(Methods.DELEGATION_REMOVE, withServer(p), DelegationChange.class);
    }

    public DelegationList delegationList(String gun) throws CustodyException, IOException {
        return call(Methods.DELEGATION_LIST, params().put("gun", gun), DelegationList.class);
    }

    // ---- approvals, audit, policy

    public List<PendingApproval> pendingList() throws CustodyException, IOException {
        return list(call(Methods.PENDING_LIST, params()), "pending", new TypeReference<List<PendingApproval>>() {});
    }

    public PendingApproval pendingShow(String id) throws CustodyException, IOException {
        return call(Methods.PENDING_SHOW, params().put("id", id), PendingApproval.class);
    }

    public Decision pendingApprove(String id) throws CustodyException, IOException {
        return call(Methods.PENDING_APPROVE, params().put("id", id), Decision.class);
    }

    public Decision pendingDeny(String id, String reason) throws CustodyException, IOException {
        return call(Methods.PENDING_DENY, opt(params().put("id", id), "reason", reason), Decision.class);
    }

    /** The last {@code lines} audit records as the daemon wrote them (their fields vary by event). */
    public List<JsonNode> auditTail(Integer lines) throws CustodyException, IOException {
        ObjectNode p = params();
        if (lines != null) {
            p.put("lines", lines);
        }
        return list(call(Methods.AUDIT_TAIL, p), "entries", new TypeReference<List<JsonNode>>() {});
    }

    public AuditVerification auditVerify() throws CustodyException, IOException {
        return call(Methods.AUDIT_VERIFY, params(), AuditVerification.class);
    }

    /** The policy in force: {@code {rules: [...], defaultRule}} as the daemon describes it. */
    public JsonNode policyShow() throws CustodyException, IOException {
        return call(Methods.POLICY_SHOW, params());
    }

    // ---- migration: importing trust_dirs, adopting keys and repositories

    /**
     * {@code key.import} with {@code skipExisting}: a key already on a token comes back with
     * {@code alreadyImported} set instead of a conflict (a re-run of a whole trust_dir import).
     * {@code passphrase} is wiped before this returns.
     */
    public KeyInfo keyImport(String pem, char[] passphrase, String role, String gun, String token, boolean skipExisting)
            throws CustodyException, IOException {
        return keyImport(pem, passphrase, role, gun, token, skipExisting, null);
    }

    /**
     * {@code key.import} with {@code skipExisting} and a PIV {@code slot} (9a, 9c, 9d, 9e, 82..95) for a
     * {@code profile: yubikey} token; null slot: the first empty one.
     */
    public KeyInfo keyImport(
            String pem, char[] passphrase, String role, String gun, String token, boolean skipExisting, String slot)
            throws CustodyException, IOException {
        ObjectNode p = params().put("pem", pem);
        try {
            if (passphrase != null) {
                p.put("passphrase", CharBuffer.wrap(passphrase).toString());
            }
            opt(p, "role", role);
            opt(p, "gun", gun);
            opt(p, "token", token);
            flag(p, "skipExisting", skipExisting);
            opt(p, "slot", slot);
            return call(Methods.KEY_IMPORT, p, KeyInfo.class);
        } finally {
            if (passphrase != null) {
                Arrays.fill(passphrase, '\0');
            }
        }
    }

    /** {@link #keyRotate(String, String, boolean)} with the new key generated on {@code token}. */
    public KeyRotateResult keyRotate(String gun, String role, boolean serverManaged, String token)
            throws CustodyException, IOException {
        ObjectNode p = params().put("gun", gun).put("role", role);
        if (serverManaged) {
            p.put("serverManaged", true);
        }
        opt(p, "token", token);
        return call(Methods.KEY_ROTATE, withServer(p), KeyRotateResult.class);
    }

    /** The private keys on {@code token}, known to custodyd or not (keys made elsewhere can be adopted). */
    public KeyScan keyScan(String token) throws CustodyException, IOException {
        return call(Methods.KEY_SCAN, params().put("token", token), KeyScan.class);
    }

    /**
     * Records a key already on {@code token} (found by its TUF {@code keyId} or, if that is null, its
     * {@code ckaId}) for {@code role} and {@code gun}; nothing is written to the token.
     */
    public KeyInfo keyAdopt(String token, String keyId, String ckaId, String role, String gun)
            throws CustodyException, IOException {
        ObjectNode p = params().put("token", token);
        opt(p, "keyId", keyId);
        opt(p, "ckaId", ckaId);
        p.put("role", role);
        opt(p, "gun", gun);
        return call(Methods.KEY_ADOPT, p, KeyInfo.class);
    }

    /**
     * Starts trusting a repository that exists on the server, checked against the root keys on
     * custodyd's tokens, or against {@code rootKeyIds} when given (checked out of band).
     */
    public RepoAdoptResult repoAdopt(String gun, List<String> rootKeyIds) throws CustodyException, IOException {
        ObjectNode p = params().put("gun", gun);
        if (rootKeyIds != null && !rootKeyIds.isEmpty()) {
            p.set("rootKeyIds", strings(rootKeyIds));
        }
        return call(Methods.REPO_ADOPT, withServer(p), RepoAdoptResult.class);
    }

    @Override
    public void close() throws IOException {
        client.close();
    }

    // ---- plumbing

    private JsonNode call(String method, ObjectNode params) throws CustodyException, IOException {
        JsonNode r = client.call(method, params);
        return r == null ? JSON.nullNode() : r;
    }

    private <T> T call(String method, ObjectNode params, Class<T> type) throws CustodyException, IOException {
        return read(method, call(method, params), Lenient.READER.constructType(type));
    }

    private <T> List<T> list(JsonNode result, String field, TypeReference<List<T>> type) throws IOException {
        JsonNode n = result.path(field);
        if (n.isMissingNode() || n.isNull()) {
            return List.of();
        }
        return read(field, n, Lenient.READER.getTypeFactory().constructType(type));
    }

    private static <T> T read(String what, JsonNode node, JavaType type) throws IOException {
        try {
            return Lenient.READER.treeToValue(node, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IOException(
                    "custodyd's answer to '" + what + "' does not have the documented shape: " + e.getMessage(), e);
        }
    }

    private ObjectNode withServer(ObjectNode p) {
        opt(p, "server", server);
        if (serverCaSha256 != null) {
            p.set("serverCaSha256", strings(serverCaSha256));
        }
        return p;
    }

    private static ObjectNode params() {
        return JSON.objectNode();
    }

    private static ObjectNode opt(ObjectNode p, String field, String value) {
        if (value != null) {
            p.put(field, value);
        }
        return p;
    }

    private static void flag(ObjectNode p, String field, boolean value) {
        if (value) {
            p.put(field, true);
        }
    }

    private static ArrayNode strings(Collection<String> values) {
        ArrayNode a = JSON.arrayNode();
        values.forEach(a::add);
        return a;
    }

    /** The lenient mapper results are read with; the CLI prints results through it too. */
    public static ObjectMapper mapper() {
        return Lenient.READER;
    }
}
