package dev.custody.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Objects;

/**
 * A failure custodyd reports to its caller: an {@link ErrorCode}, a message a person can act on,
 * and the typed fields of the failure.
 *
 * <p>The daemon throws these from method handlers; they travel as a JSON-RPC {@code error}
 * ({@link #toRpcError()}); the client turns them back into the same class with
 * {@link #fromRpcError(RpcError)}, so {@code catch (PolicyDeniedException e)} works on both ends.
 * Each code has its own final subclass named after what happened; {@code fromRpcError} is the one
 * place where a code becomes a class.
 */
public class CustodyException extends Exception {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    /** A failure with no typed fields beyond the code. Prefer the subclass for the code. */
    public CustodyException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public CustodyException(ErrorCode code, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public final ErrorCode code() {
        return code;
    }

    /**
     * The typed fields of this failure as they appear in {@code error.data} (without {@code name}).
     * Subclasses with fields override this.
     */
    protected ObjectNode fields() {
        return JsonNodeFactory.instance.objectNode();
    }

    /** The wire form of this failure. */
    public final RpcError toRpcError() {
        return RpcError.of(code, getMessage(), fields());
    }

    /**
     * The exception for a wire error: the subclass for its code, with its typed fields. An error
     * number this client does not know yet becomes an {@link UnrecognizedErrorException}.
     */
    public static CustodyException fromRpcError(RpcError error) {
        Objects.requireNonNull(error, "error");
        JsonNode d = error.data() == null ? JsonNodeFactory.instance.objectNode() : error.data();
        String m = error.message();
        ErrorCode code = ErrorCode.findByNumber(error.code()).orElse(null);
        if (code == null) {
            return new UnrecognizedErrorException(error.code(), error.name(), m);
        }
        return switch (code) {
            case BAD_REQUEST -> new BadRequestException(m, text(d, "field"));
            case METHOD_NOT_FOUND -> new MethodNotFoundException(text(d, "method"), m);
            case INTERNAL -> new InternalErrorException(m, text(d, "incident"));
            case REQUEST_TOO_LARGE ->
                new RequestTooLargeException(m, d.path("limitBytes").asLong(-1));
            case BUSY -> new BusyException(m, text(d, "limit"));
            case REQUEST_TIMEOUT ->
                new RequestTimeoutException(m, d.path("timeoutMillis").asLong(-1));
            case SHUTTING_DOWN -> new ShuttingDownException(m);
            case PIN_REQUIRED -> new PinRequiredException(text(d, "token"), m);
            case PIN_INCORRECT ->
                new PinIncorrectException(
                        text(d, "token"),
                        PinIncorrectException.Credential.fromWire(text(d, "credential")),
                        d.path("triesLeft").isInt() ? d.get("triesLeft").asInt() : null,
                        d.path("countLow").asBoolean(false),
                        d.path("finalTry").asBoolean(false),
                        m);
            case PIN_LOCKED -> new PinLockedException(text(d, "token"), m);
            case TOKEN_ABSENT -> new TokenAbsentException(text(d, "token"), m);
            case POLICY_DENIED ->
                new PolicyDeniedException(text(d, "rule"), text(d, "operation"), text(d, "gun"), text(d, "role"), m);
            case APPROVAL_REQUIRED -> new ApprovalRequiredException(text(d, "approvalId"), m);
            case APPROVAL_DENIED -> new ApprovalDeniedException(text(d, "approvalId"), m);
            case NOT_FOUND -> new NotFoundException(text(d, "kind"), text(d, "name"), m);
            case CONFLICT -> new ConflictException(text(d, "gun"), m);
            case METADATA_INVALID -> new MetadataInvalidException(text(d, "role"), m);
            case SERVER_UNREACHABLE -> new ServerUnreachableException(text(d, "server"), m);
        };
    }

    static String text(JsonNode data, String field) {
        JsonNode n = data.get(field);
        return n != null && n.isTextual() ? n.asText() : null;
    }

    /** Puts {@code value} into {@code node} unless it is null; returns {@code node}. */
    protected static ObjectNode putIfPresent(ObjectNode node, String field, String value) {
        if (value != null) {
            node.put(field, value);
        }
        return node;
    }
}
