package dev.custody.daemon.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.protocol.CustodyException;

/**
 * A handler that sees the whole {@link Call}, including the policy {@code Decision}. Methods that
 * can wait for a custodian's approval register one of these; a plain {@link Handler} is refused
 * with APPROVAL_REQUIRED when its rule requires an approval.
 */
@FunctionalInterface
public interface CallHandler {
    JsonNode handle(Call call) throws CustodyException;
}
