package dev.custody.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.ActionResolver;
import dev.custody.daemon.policy.Decision;
import dev.custody.daemon.policy.Operation;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.ErrorCode;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.PolicyDeniedException;
import dev.custody.protocol.RpcResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DispatcherTest {
    private static final CallerIdentity CALLER = new CallerIdentity(1001, 1001, 77, Set.of(1001L));
    private final ObjectMapper mapper = new ObjectMapper();
    private final MethodRegistry registry = new MethodRegistry();
    private final List<String> hookCalls = new ArrayList<>();
    private Decision nextDecision = new Decision(true, false, "r1", "ok");
    private boolean failRecord;

    private final DispatchHook hook = new DispatchHook() {
        @Override
        public Decision authorize(CallerIdentity caller, String method, Action action) throws CustodyException {
            hookCalls.add("authorize " + method + " " + action);
            if (!nextDecision.allowed()) {
                throw new PolicyDeniedException(
                        nextDecision.rule(),
                        action.operation().wireName(),
                        action.gun(),
                        action.role(),
                        nextDecision.reason());
            }
            return nextDecision;
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
            hookCalls.add("record " + method + " "
                    + (error == null ? "ok" : error.code().name()));
            if (failRecord) {
                throw new IOException("disk full");
            }
        }
    };

    private final Dispatcher dispatcher = new Dispatcher(registry, hook);

    DispatcherTest() {
        registry.registerOpen(
                "ping", (c, p) -> JsonNodeFactory.instance.objectNode().put("pong", true));
        registry.register(
                "add",
                (c, p) -> JsonNodeFactory.instance
                        .objectNode()
                        .put("added", p.path("target").asText()));
        registry.register("repo.lookup", ActionResolver.of(Operation.READ), (c, p) -> {
            throw new NotFoundException(
                    "target", "v1", "no target v1 in " + p.path("gun").asText());
        });
        registry.register("repo.crash", ActionResolver.of(Operation.READ), (c, p) -> {
            throw new IllegalStateException("secret internal detail");
        });
    }

    private JsonNode dispatch(String line) throws IOException {
        RpcResponse r = dispatcher.dispatch(CALLER, line.getBytes(StandardCharsets.UTF_8));
        return mapper.readTree(mapper.writeValueAsBytes(r));
    }

    private static void assertError(JsonNode r, ErrorCode code) {
        assertThat(r.has("result")).as(r.toString()).isFalse();
        assertThat(r.path("error").path("code").asInt()).as(r.toString()).isEqualTo(code.number());
        assertThat(r.path("error").path("data").path("name").asText()).isEqualTo(code.name());
    }

    @Test
    void dispatch_openMethod_returnsResultWithId() throws IOException {
        JsonNode r = dispatch("{\"jsonrpc\":\"2.0\",\"id\":\"a-1\",\"method\":\"ping\"}");
        assertThat(r.get("jsonrpc").asText()).isEqualTo("2.0");
        assertThat(r.get("id").asText()).isEqualTo("a-1");
        assertThat(r.get("result").get("pong").asBoolean()).isTrue();
        assertThat(hookCalls).as("open methods skip policy and audit").isEmpty();
    }

    @Test
    void dispatch_malformedEnvelopes_areBadRequest() throws IOException {
        String[][] cases = {
            {"{not json", "null", "not valid JSON"},
            {"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"} trailing", "null", "not valid JSON"},
            {"[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", "null", "batches are not supported"},
            {"\"just a string\"", "null", "one JSON object"},
            {"{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", "1", "jsonrpc must be \"2.0\""},
            {"{\"jsonrpc\":2.0,\"id\":1,\"method\":\"ping\"}", "1", "jsonrpc must be"},
            {"{\"id\":1,\"method\":\"ping\"}", "1", "jsonrpc must be"},
            {"{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}", "null", "notifications"},
            {"{\"jsonrpc\":\"2.0\",\"id\":{\"x\":1},\"method\":\"ping\"}", "null", "id must be a string or an integer"},
            {"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", "null", "id must be"},
            {"{\"jsonrpc\":\"2.0\",\"id\":2}", "2", "method must be a non-empty string"},
            {"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":7}", "2", "method must be"},
            {"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"params\":[1,2]}", "3", "params must be a JSON object"
            },
            {"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"uid\":0}", "3", "unknown request member 'uid'"},
            {"{\"jsonrpc\":\"2.0\",\"id\":4,\"id\":5,\"method\":\"ping\"}", "null", "Duplicate field"},
        };
        for (String[] c : cases) {
            JsonNode r = dispatch(c[0]);
            assertError(r, ErrorCode.BAD_REQUEST);
            assertThat(r.get("id").toString()).as(c[0]).isEqualTo(c[1]);
            assertThat(r.at("/error/message").asText()).as(c[0]).contains(c[2]);
        }
        assertThat(hookCalls).isEmpty();
    }

    @Test
    void dispatch_invalidUtf8_isBadRequest() throws IOException {
        byte[] bad = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        JsonNode r = mapper.readTree(mapper.writeValueAsBytes(dispatcher.dispatch(CALLER, bad)));
        assertError(r, ErrorCode.BAD_REQUEST);
    }

    @Test
    void dispatch_unknownMethod_isMethodNotFound() throws IOException {
        JsonNode r = dispatch("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"repo.frobnicate\"}");
        assertError(r, ErrorCode.METHOD_NOT_FOUND);
        assertThat(r.at("/error/data/method").asText()).isEqualTo("repo.frobnicate");
        assertThat(r.get("id").asInt()).isEqualTo(9);
    }

    @Test
    void dispatch_guardedAllowed_authorizesRunsAndRecords() throws IOException {
        JsonNode r = dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"gun\":\"g/a\","
                + "\"role\":\"targets\",\"target\":\"v1\"}}");
        assertThat(r.at("/result/added").asText()).isEqualTo("v1");
        assertThat(hookCalls).containsExactly("authorize add add g/a role targets", "record add ok");
    }

    @Test
    void dispatch_guardedDenied_handlerDoesNotRunAndDenialIsRecorded() throws IOException {
        nextDecision = new Decision(false, false, null, "uid 1001 may not add g/a: no policy rule matched");
        JsonNode r = dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"gun\":\"g/a\"}}");
        assertError(r, ErrorCode.POLICY_DENIED);
        assertThat(r.at("/error/message").asText()).contains("no policy rule matched");
        assertThat(r.at("/error/data/gun").asText()).isEqualTo("g/a");
        assertThat(hookCalls).containsExactly("authorize add add g/a", "record add POLICY_DENIED");
    }

    @Test
    void dispatch_gunOfWrongType_isBadRequestBeforePolicy() throws IOException {
        JsonNode r = dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"gun\":5}}");
        assertError(r, ErrorCode.BAD_REQUEST);
        assertThat(r.at("/error/data/field").asText()).isEqualTo("params.gun");
        assertThat(hookCalls).isEmpty();
    }

    @Test
    void dispatch_approvalRequiredForPlainHandler_isRefusedAndRecorded() throws IOException {
        nextDecision = new Decision(true, true, "root-approval", "needs approval");
        JsonNode r = dispatch(
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"gun\":\"g\",\"role\":\"root\"}}");
        assertError(r, ErrorCode.APPROVAL_REQUIRED);
        assertThat(r.at("/error/message").asText()).contains("root-approval");
        assertThat(hookCalls).containsExactly("authorize add add g role root", "record add APPROVAL_REQUIRED");
    }

    @Test
    void dispatch_approvalAwareHandler_seesTheDecision() throws IOException {
        nextDecision = new Decision(true, true, "root-approval", "needs approval");
        registry.registerCall(
                "rotate",
                ActionResolver.of(Operation.ROTATE),
                call -> JsonNodeFactory.instance
                        .objectNode()
                        .put("approvalRequired", call.decision().approvalRequired())
                        .put("uid", call.caller().uid()));
        JsonNode r = dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"rotate\",\"params\":{\"gun\":\"g\"}}");
        assertThat(r.at("/result/approvalRequired").asBoolean()).isTrue();
        assertThat(r.at("/result/uid").asLong()).isEqualTo(1001);
    }

    @Test
    void dispatch_handlerThrowsCustodyException_isPassedThroughAndRecorded() throws IOException {
        JsonNode r = dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"repo.lookup\",\"params\":{\"gun\":\"g/x\"}}");
        assertError(r, ErrorCode.NOT_FOUND);
        assertThat(r.at("/error/message").asText()).isEqualTo("no target v1 in g/x");
        assertThat(hookCalls).containsExactly("authorize repo.lookup read g/x", "record repo.lookup NOT_FOUND");
    }

    @Test
    void dispatch_handlerBug_isInternalWithIncidentAndNoDetail() throws IOException {
        JsonNode r = dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"repo.crash\",\"params\":{}}");
        assertError(r, ErrorCode.INTERNAL);
        assertThat(r.at("/error/message").asText())
                .doesNotContain("secret internal detail")
                .contains("incident");
        assertThat(r.at("/error/data/incident").asText()).hasSize(8);
        assertThat(hookCalls).containsExactly("authorize repo.crash read", "record repo.crash INTERNAL");
    }

    @Test
    void dispatch_auditRecordFails_callerGetsInternalNotTheResult() throws IOException {
        failRecord = true;
        JsonNode r = dispatch("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"add\",\"params\":{\"gun\":\"g\"}}");
        assertError(r, ErrorCode.INTERNAL);
        assertThat(r.at("/error/message").asText()).contains("audit log could not record");
    }

    @Test
    void register_secureByDefault() {
        assertThatThrownBy(() -> registry.register("repo.frobnicate", (c, p) -> null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a policy operation");
        assertThatThrownBy(() -> registry.registerOpen("ping", (c, p) -> null))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already registered");
        assertThatThrownBy(() -> registry.registerOpen("Bad Name", (c, p) -> null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(registry.find("add").orElseThrow().guarded()).isTrue();
        assertThat(registry.find("ping").orElseThrow().guarded()).isFalse();
        assertThat(registry.names()).containsExactly("add", "ping", "repo.crash", "repo.lookup");
    }
}
