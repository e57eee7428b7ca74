package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * Policy does not allow the caller this operation. {@link #rule()} names the rule that denied it;
 * it is empty when no rule matched at all.
 */
public final class PolicyDeniedException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String rule;
    private final String operation;
    private final String gun;
    private final String role;

    public PolicyDeniedException(String rule, String operation, String gun, String role, String message) {
        super(ErrorCode.POLICY_DENIED, message);
        this.rule = rule;
        this.operation = operation;
        this.gun = gun;
        this.role = role;
    }

    public Optional<String> rule() {
        return Optional.ofNullable(rule);
    }

    public String operation() {
        return operation;
    }

    public Optional<String> gun() {
        return Optional.ofNullable(gun);
    }

    public Optional<String> role() {
        return Optional.ofNullable(role);
    }

    @Override
    protected ObjectNode fields() {
        ObjectNode n = super.fields();
        putIfPresent(n, "rule", rule);
        putIfPresent(n, "operation", operation);
        putIfPresent(n, "gun", gun);
        return putIfPresent(n, "role", role);
    }
}
