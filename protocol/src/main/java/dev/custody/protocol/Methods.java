package dev.custody.protocol;

/** Method names served by custodyd. Each one is documented in {@code daemon/README-protocol.md}. */
public final class Methods {
    /** Liveness check; params {@code {"echo": string?}}; result {@link PingResult}. */
    public static final String PING = "ping";
    /** Daemon status; no params; result {@link StatusResult}. */
    public static final String STATUS = "status";

    // The method catalog (docs/protocol-methods.md); the daemon serves them as its extensions land.
    public static final String TOKEN_LIST = "token.list";
    public static final String TOKEN_UNLOCK = "token.unlock";
    public static final String TOKEN_LOCK = "token.lock";
    public static final String KEY_LIST = "key.list";
    public static final String KEY_GENERATE = "key.generate";
    public static final String KEY_IMPORT = "key.import";
    public static final String KEY_REMOVE = "key.remove";
    public static final String KEY_ROTATE = "key.rotate";
    public static final String SIGN_RAW = "sign.raw";
    /** Many payloads, one key, one audit line; policy operation {@code sign.raw}. */
    public static final String SIGN_BATCH = "sign.batch";
    /** The keys the caller may sign with, with public keys (open; for libcustody-pkcs11.so). */
    public static final String PKCS11_KEYS = "pkcs11.keys";
    /** A PKCS#11 C_Sign: {@code {keyId, mechanism, data}}; policy operation {@code sign.raw}, audited {@code via: pkcs11}. */
    public static final String PKCS11_SIGN = "pkcs11.sign";

    public static final String REPO_INIT = "repo.init";
    public static final String REPO_ADD = "repo.add";
    public static final String REPO_ADD_BATCH = "repo.addBatch";
    public static final String REPO_REMOVE = "repo.remove";
    public static final String REPO_LIST = "repo.list";
    public static final String REPO_LOOKUP = "repo.lookup";
    public static final String REPO_STATUS = "repo.status";
    public static final String REPO_RESET = "repo.reset";
    public static final String REPO_PUBLISH = "repo.publish";
    public static final String REPO_WITNESS = "repo.witness";
    public static final String REPO_DELETE = "repo.delete";
    public static final String DELEGATION_ADD = "delegation.add";
    public static final String DELEGATION_REMOVE = "delegation.remove";
    public static final String DELEGATION_LIST = "delegation.list";
    public static final String PENDING_LIST = "pending.list";
    public static final String PENDING_SHOW = "pending.show";
    public static final String PENDING_APPROVE = "pending.approve";
    public static final String PENDING_DENY = "pending.deny";
    public static final String AUDIT_TAIL = "audit.tail";
    public static final String AUDIT_VERIFY = "audit.verify";
    public static final String POLICY_SHOW = "policy.show";
    public static final String KEY_SCAN = "key.scan";
    public static final String KEY_ADOPT = "key.adopt";
    public static final String REPO_ADOPT = "repo.adopt";

    private Methods() {}
}
