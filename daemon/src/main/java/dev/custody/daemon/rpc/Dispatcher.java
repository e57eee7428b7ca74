package dev.custody.daemon.rpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.Decision;
import dev.custody.protocol.ApprovalRequiredException;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.InternalErrorException;
import dev.custody.protocol.MethodNotFoundException;
import dev.custody.protocol.Protocol;
import dev.custody.protocol.RpcResponse;
import java.io.IOException;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;

/**
 * Turns one request line into one response: parse and validate the JSON-RPC envelope → find the
 * method → (guarded methods) resolve the action, ask the {@link DispatchHook} → run the handler →
 * let the hook record the outcome. Never throws; every failure becomes an error response. Holds no
 * per-connection state, so it is shared by all connections.
 */
public final class Dispatcher {
    private static final System.Logger LOG = System.getLogger(Dispatcher.class.getName());
    private static final Set<String> MEMBERS = Set.of("jsonrpc", "id", "method", "params");

    /** A validated request envelope, ready for {@link #execute}. */
    public record Request(JsonNode id, String method, JsonNode params, MethodRegistry.Method target) {}

    /** The outcome of {@link #parse}: a request to execute, or an error response to send at once. */
    public record Parsed(Request request, RpcResponse error) {}

    private final MethodRegistry registry;
    private final DispatchHook hook;
    private final ObjectMapper mapper = Protocol.newMapper();

    public Dispatcher(MethodRegistry registry, DispatchHook hook) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.hook = Objects.requireNonNull(hook, "hook");
    }

    public MethodRegistry registry() {
        return registry;
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    /** Validates the envelope of one request line. Cheap; runs on the connection's thread. */
    public Parsed parse(byte[] line) {
        JsonNode n;
        try {
            Names.requireUtf8(line); // Jackson would also take UTF-16 and UTF-32
        } catch (BadRequestException e) {
            return fail(null, e);
        }
        try {
            n = mapper.readTree(line);
        } catch (JsonProcessingException e) {
            return fail(
                    null,
                    new BadRequestException("request is not valid JSON: " + e.getOriginalMessage()
                            + (e.getLocation() == null
                                    ? ""
                                    : " (column " + e.getLocation().getColumnNr() + ")")));
        } catch (IOException e) {
            return fail(null, new BadRequestException("request is not valid JSON: " + e.getMessage()));
        }
        if (n == null || !n.isObject()) {
            return fail(
                    null,
                    new BadRequestException("a request must be one JSON object per line (batches are not supported)"));
        }
        JsonNode id = n.get("id");
        JsonNode replyId = id != null && (id.isTextual() || id.isIntegralNumber()) ? id : NullNode.getInstance();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!MEMBERS.contains(f)) {
                return fail(
                        replyId,
                        new BadRequestException(
                                "unknown request member '" + f + "' (a request has jsonrpc, id, method, params)", f));
            }
        }
        if (!Protocol.JSONRPC_VERSION.equals(n.path("jsonrpc").asText(null))
                || !n.path("jsonrpc").isTextual()) {
            return fail(replyId, new BadRequestException("jsonrpc must be \"2.0\"", "jsonrpc"));
        }
        if (id == null) {
            return fail(
                    replyId, new BadRequestException("id is required: custodyd does not serve notifications", "id"));
        }
        if (replyId.isNull()) {
            return fail(replyId, new BadRequestException("id must be a string or an integer", "id"));
        }
        JsonNode method = n.get("method");
        if (method == null || !method.isTextual() || method.asText().isEmpty()) {
            return fail(replyId, new BadRequestException("method must be a non-empty string", "method"));
        }
        JsonNode params = n.get("params");
        if (params != null && !params.isNull() && !params.isObject()) {
            return fail(replyId, new BadRequestException("params must be a JSON object (named parameters)", "params"));
        }
        String name = method.asText();
        MethodRegistry.Method target = registry.find(name).orElse(null);
        if (target == null) {
            return fail(replyId, new MethodNotFoundException(name));
        }
        try {
            Names.checkParams(params); // names at the door, for every method
        } catch (BadRequestException e) {
            return fail(replyId, e);
        }
        return new Parsed(new Request(replyId, name, params == null ? NullNode.getInstance() : params, target), null);
    }

    /** Runs a parsed request for {@code caller}. Runs on a worker thread; may block. */
    public RpcResponse execute(CallerIdentity caller, Request request) {
        MethodRegistry.Method m = request.target();
        Action action = null;
        Decision decision = null;
        JsonNode result = null;
        CustodyException error = null;
        try {
            if (m.guarded()) {
                action = m.actions().resolve(request.params());
                decision = hook.authorize(caller, m.name(), action);
                if (decision.approvalRequired() && !m.approvalAware()) {
                    throw new ApprovalRequiredException(
                            null,
                            "rule '" + decision.ruleOrNone() + "' requires a custodian's" + " approval for " + action
                                    + ", and " + m.name() + " cannot wait for approvals");
                }
            }
            result = m.approvalAware()
                    ? m.callHandler().handle(new Call(caller, m.name(), request.params(), action, decision))
                    : m.handler().handle(caller, request.params());
            if (result == null) {
                result = NullNode.getInstance();
            }
        } catch (CustodyException e) {
            error = e;
        } catch (RuntimeException | LinkageError | StackOverflowError e) {
            error = internal(caller, m.name(), e);
        }
        if (m.guarded() && action != null) {
            try {
                hook.record(caller, m.name(), action, decision, error == null ? result : null, error);
            } catch (IOException | RuntimeException e) {
                return RpcResponse.failure(
                        request.id(),
                        Incidents.internal(
                                        "the audit log could not record this " + m.name()
                                                + "; custodyd refuses to answer without an audit record",
                                        "audit record for " + m.name() + " by " + caller
                                                + " failed; the caller gets INTERNAL",
                                        e)
                                .toRpcError());
            }
        }
        return error == null
                ? RpcResponse.success(request.id(), result)
                : RpcResponse.failure(request.id(), error.toRpcError());
    }

    /** parse + execute, for callers that do not need the split (tests, in-process use). */
    public RpcResponse dispatch(CallerIdentity caller, byte[] line) {
        Parsed p = parse(line);
        return p.error() != null ? p.error() : execute(caller, p.request());
    }

    private static InternalErrorException internal(CallerIdentity caller, String method, Throwable e) {
        return Incidents.internal("internal error in " + method, method + " for " + caller + " failed unexpectedly", e);
    }

    private static Parsed fail(JsonNode id, CustodyException e) {
        return new Parsed(null, RpcResponse.failure(id, e.toRpcError()));
    }
}
