package dev.custody.daemon.policy;

import java.util.Arrays;
import java.util.Optional;

/**
 * What a caller asks the daemon to do, as policy rules name it. Each socket method maps to one
 * operation; the wire name is what rules and audit lines use.
 */
public enum Operation {
    /** Read-only repository queries: list, lookup, status of a GUN. */
    READ("read"),
    INIT("init"),
    ADD("add"),
    REMOVE("remove"),
    PUBLISH("publish"),
    /** Key rotation of any role (root rotations also need approval when the rule says so). */
    ROTATE("rotate"),
    /** Adding or removing delegations and their keys or paths. */
    DELEGATION("delegation"),
    WITNESS("witness"),
    RESET("reset"),
    DELETE("delete"),
    /** Signing caller-supplied bytes with a key: only for callers explicitly granted it. */
    SIGN_RAW("sign.raw"),
    /** Approving or denying another caller's pending operation. */
    APPROVE("approve"),
    KEY_LIST("key.list"),
    KEY_GENERATE("key.generate"),
    KEY_IMPORT("key.import"),
    KEY_REMOVE("key.remove"),
    TOKEN_UNLOCK("token.unlock"),
    TOKEN_LOCK("token.lock"),
    AUDIT_READ("audit.read"),
    POLICY_READ("policy.read");

    private final String wireName;

    Operation(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public static Optional<Operation> findByWireName(String name) {
        return Arrays.stream(values()).filter(o -> o.wireName.equals(name)).findFirst();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
