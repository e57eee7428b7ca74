package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * The JSON-RPC {@code error} member: {@code code} is {@link ErrorCode#number()}, {@code message} is
 * a sentence a person can act on, and {@code data} always carries {@code name} (the
 * {@link ErrorCode} name) plus the typed fields of the failure (for example {@code rule} for
 * POLICY_DENIED, {@code triesLeft} for PIN_INCORRECT).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RpcError(int code, String message, JsonNode data) {
    public RpcError {
        Objects.requireNonNull(message, "message");
    }

    /** The error name from {@code data.name}, or {@code null} if the peer did not send one. */
    public String name() {
        return data != null && data.path("name").isTextual() ? data.get("name").asText() : null;
    }

    /** An error for {@code code} with extra typed fields (may be null); {@code data.name} is set. */
    public static RpcError of(ErrorCode code, String message, ObjectNode fields) {
        ObjectNode data = JsonNodeFactory.instance.objectNode();
        data.put("name", code.name());
        if (fields != null) {
            for (var e : fields.properties()) {
                if (!"name".equals(e.getKey())) {
                    data.set(e.getKey(), e.getValue());
                }
            }
        }
        return new RpcError(code.number(), message, data);
    }
}
