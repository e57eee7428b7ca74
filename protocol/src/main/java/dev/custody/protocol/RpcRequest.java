package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One JSON-RPC 2.0 request line: {@code {"jsonrpc":"2.0","id":1,"method":"status","params":{}}}.
 *
 * <p>{@code id} is a JSON string or number and is required: custodyd does not serve JSON-RPC
 * notifications, because a signing request whose outcome nobody reads is a hazard. {@code params}
 * is a JSON object or absent.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RpcRequest(String jsonrpc, JsonNode id, String method, JsonNode params) {
    public RpcRequest {
        Objects.requireNonNull(jsonrpc, "jsonrpc");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(method, "method");
    }

    public static RpcRequest of(long id, String method, JsonNode params) {
        return new RpcRequest(
                Protocol.JSONRPC_VERSION, com.fasterxml.jackson.databind.node.LongNode.valueOf(id), method, params);
    }
}
