package dev.custody.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.audit.AuditDetails;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.audit.AuditLogException;
import dev.custody.daemon.audit.AuditRecord;
import dev.custody.daemon.audit.DeniedCoalescer;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.Decision;
import dev.custody.daemon.policy.Policy;
import dev.custody.daemon.rpc.CallerIdentity;
import dev.custody.daemon.rpc.DispatchHook;
import dev.custody.daemon.rpc.Incidents;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.PolicyDeniedException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Objects;

/**
 * custodyd's dispatch hook: policy decides every guarded call, and every decided call — allowed or
 * denied, succeeded or failed — gets one audit line, written and synced before the reply.
 *
 * <p>The audit line of a call carries the caller (uid, gid, pid), the method, the action's GUN and
 * role, the deciding rule, and the result ({@code ok} or the error code name). When a method's
 * result has top-level {@code keyId}, {@code version} or {@code metadataHash} members, they are
 * recorded too, and {@code tokenSerial} goes into {@code details}, beside what the handler put into
 * {@link AuditDetails} (kept on failure too; its {@code keyId} becomes the line's). Nothing else from params or result is recorded.
 * Denied calls are coalesced per caller and interval when a {@link DeniedCoalescer} is given: the first
 * of an interval has its own line, the rest one line with their count.
 */
public final class PolicyAuditHook implements DispatchHook {
    private static final System.Logger LOG = System.getLogger(PolicyAuditHook.class.getName());

    private final Policy policy;
    private final AuditLog audit;
    private final DeniedCoalescer denied;

    public PolicyAuditHook(Policy policy, AuditLog audit) {
        this(policy, audit, null);
    }

    /**
     * @param denied coalesces denied requests per caller and interval (see {@link DeniedCoalescer}); null:
     *     every denied request gets its own line
     */
    public PolicyAuditHook(Policy policy, AuditLog audit, DeniedCoalescer denied) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.denied = denied;
    }

    @Override
    public Decision authorize(CallerIdentity caller, String method, Action action) throws CustodyException {
        AuditDetails.clear();
        try {
            audit.checkUsable();
        } catch (AuditLogException e) {
            throw Incidents.internal("custodyd cannot audit right now, so it does nothing: " + e.getMessage(), e);
        }
        Decision d = policy.decide(caller.subject(), action);
        if (!d.allowed()) {
            LOG.log(Level.INFO, "denied " + method + " for " + caller + ": " + d.reason());
            throw new PolicyDeniedException(
                    d.rule(), action.operation().wireName(), action.gun(), action.role(), d.reason());
        }
        return d;
    }

    @Override
    public void record(
            CallerIdentity caller,
            String method,
            Action action,
            Decision decision,
            JsonNode result,
            CustodyException error)
            throws IOException {
        if (denied != null
                && decision == null
                && error instanceof PolicyDeniedException
                && !denied.admit(caller.uid(), caller.gid(), caller.pid(), method)) {
            return; // counted into this caller's coalesced line of the interval
        }
        String rule = decision != null
                ? decision.ruleOrNone()
                : error instanceof PolicyDeniedException p ? p.rule().orElse("no rule matched") : null;
        AuditRecord.Builder b = AuditRecord.builder(method)
                .caller(caller.uid(), caller.gid(), caller.pid())
                .gun(action.gun())
                .role(action.role())
                .rule(rule)
                .result(error == null ? "ok" : error.code().name());
        if (error != null) {
            b.message(error.getMessage());
        }
        ObjectNode details = AuditDetails.take();
        if (details != null && details.path("keyId").isTextual()) {
            b.keyId(details.remove("keyId").asText()); // the key a failed call was for
        }
        if (result != null && result.isObject()) {
            if (result.path("keyId").isTextual()) {
                b.keyId(result.get("keyId").asText());
            }
            if (result.path("version").canConvertToExactIntegral()) {
                b.version(result.get("version").asLong());
            }
            if (result.path("metadataHash").isTextual()) {
                b.metadataHash(result.get("metadataHash").asText());
            }
            if (result.path("tokenSerial").isTextual()) {
                details = details != null ? details : JsonNodeFactory.instance.objectNode();
                details.put("tokenSerial", result.get("tokenSerial").asText());
            }
        }
        if (details != null && !details.isEmpty()) {
            b.details(details);
        }
        audit.append(b.build());
    }
}
