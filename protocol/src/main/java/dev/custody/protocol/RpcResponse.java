package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

/**
 * One JSON-RPC 2.0 response line. Exactly one of {@code result} and {@code error} is present.
 * {@code id} echoes the request's id, or is JSON {@code null} when the request's id could not be
 * read (unparseable or oversized line).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RpcResponse(String jsonrpc, JsonNode id, JsonNode result, RpcError error) {
    public RpcResponse {
        if ((result == null) == (error == null)) {
            throw new IllegalArgumentException("exactly one of result and error must be set");
        }
        if (id == null) {
            id = NullNode.getInstance();
        }
    }

    public static RpcResponse success(JsonNode id, JsonNode result) {
        return new RpcResponse(Protocol.JSONRPC_VERSION, id, result == null ? NullNode.getInstance() : result, null);
    }

    public static RpcResponse failure(JsonNode id, RpcError error) {
        return new RpcResponse(Protocol.JSONRPC_VERSION, id, null, error);
    }

    @JsonIgnore
    public boolean isError() {
        return error != null;
    }
}
