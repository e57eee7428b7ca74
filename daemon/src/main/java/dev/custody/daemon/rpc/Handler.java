package dev.custody.daemon.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.protocol.CustodyException;

/**
 * Serves one socket method. Runs on a worker thread after policy allowed the call; may block
 * (token, network). Returns the JSON-RPC {@code result}, or throws the {@link CustodyException}
 * subclass for what went wrong, with a message the caller can act on. Any other exception is a bug:
 * the caller gets INTERNAL with an incident id, the log gets the stack trace.
 */
@FunctionalInterface
public interface Handler {
    JsonNode handle(CallerIdentity caller, JsonNode params) throws CustodyException;
}
