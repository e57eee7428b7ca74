package dev.custody.daemon.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.Decision;
import dev.custody.protocol.CustodyException;
import java.io.IOException;

/**
 * Runs around every guarded method call: policy before, audit after. custodyd installs
 * {@code dev.custody.daemon.PolicyAuditHook}.
 */
public interface DispatchHook {
    /**
     * Decides whether {@code caller} may do {@code action}; throws (typically
     * {@code PolicyDeniedException}) to refuse, in which case the handler does not run and
     * {@link #record} is still called with that exception.
     */
    Decision authorize(CallerIdentity caller, String method, Action action) throws CustodyException;

    /**
     * Records the outcome before the reply is sent. {@code decision} is null if authorization
     * failed; exactly one of {@code result} and {@code error} is non-null. If this throws, the caller
     * gets INTERNAL instead of the result.
     */
    void record(
            CallerIdentity caller,
            String method,
            Action action,
            Decision decision,
            JsonNode result,
            CustodyException error)
            throws IOException;

    /** A hook that allows everything and records nothing: for tests of the transport only. */
    DispatchHook ALLOW_ALL = new DispatchHook() {
        @Override
        public Decision authorize(CallerIdentity caller, String method, Action action) {
            return new Decision(true, false, "allow-all", "allowed without policy");
        }

        @Override
        public void record(
                CallerIdentity caller,
                String method,
                Action action,
                Decision decision,
                JsonNode result,
                CustodyException error) {}
    };
}
