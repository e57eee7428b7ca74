package dev.custody.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.IntNode;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CustodyExceptionTest {
    private final ObjectMapper mapper = Protocol.newMapper();

    /** One sample per code, with every typed field set. */
    static Map<ErrorCode, CustodyException> samples() {
        Map<ErrorCode, CustodyException> m = new EnumMap<>(ErrorCode.class);
        m.put(ErrorCode.BAD_REQUEST, new BadRequestException("params.gun: expected a string", "params.gun"));
        m.put(ErrorCode.METHOD_NOT_FOUND, new MethodNotFoundException("repo.frobnicate"));
        m.put(ErrorCode.INTERNAL, new InternalErrorException("internal error (incident ab12)", "ab12"));
        m.put(ErrorCode.REQUEST_TOO_LARGE, new RequestTooLargeException("too large", 1048576));
        m.put(ErrorCode.BUSY, new BusyException("busy", "maxConnections"));
        m.put(ErrorCode.REQUEST_TIMEOUT, new RequestTimeoutException("slow", 30000));
        m.put(ErrorCode.SHUTTING_DOWN, new ShuttingDownException("stopping"));
        m.put(ErrorCode.PIN_REQUIRED, new PinRequiredException("yubikey-1", "run custody token unlock yubikey-1"));
        m.put(ErrorCode.PIN_INCORRECT, new PinIncorrectException("yubikey-1", 2, "wrong PIN, 2 tries left"));
        m.put(ErrorCode.PIN_LOCKED, new PinLockedException("yubikey-1", "locked"));
        m.put(ErrorCode.TOKEN_ABSENT, new TokenAbsentException("yubikey-1", "insert yubikey-1"));
        m.put(
                ErrorCode.POLICY_DENIED,
                new PolicyDeniedException(
                        "ci-team", "publish", "example.com/app", "targets/ci", "denied by rule ci-team"));
        m.put(ErrorCode.APPROVAL_REQUIRED, new ApprovalRequiredException("ap-7", "waiting for approval ap-7"));
        m.put(ErrorCode.APPROVAL_DENIED, new ApprovalDeniedException("ap-7", "approval ap-7 timed out"));
        m.put(ErrorCode.NOT_FOUND, new NotFoundException("gun", "example.com/none", "no such repository"));
        m.put(ErrorCode.CONFLICT, new ConflictException("example.com/app", "already initialised"));
        m.put(ErrorCode.METADATA_INVALID, new MetadataInvalidException("snapshot", "snapshot expired"));
        m.put(ErrorCode.SERVER_UNREACHABLE, new ServerUnreachableException("https://notary:4443", "connect refused"));
        return m;
    }

    @Test
    void samples_coverEveryCode() {
        assertThat(samples().keySet()).containsExactlyInAnyOrder(ErrorCode.values());
    }

    @Test
    void fromRpcError_eachCode_givesItsClassAndFields() throws Exception {
        for (Map.Entry<ErrorCode, CustodyException> e : samples().entrySet()) {
            CustodyException sent = e.getValue();
            assertThat(sent.code()).isEqualTo(e.getKey());
            String wire = mapper.writeValueAsString(RpcResponse.failure(IntNode.valueOf(3), sent.toRpcError()));
            RpcResponse parsed = mapper.readValue(wire, RpcResponse.class);
            assertThat(parsed.error().code()).isEqualTo(e.getKey().number());
            assertThat(parsed.error().name()).isEqualTo(e.getKey().name());
            CustodyException received = CustodyException.fromRpcError(parsed.error());
            assertThat(received).as("class for %s", e.getKey()).isExactlyInstanceOf(sent.getClass());
            assertThat(received.code()).isEqualTo(e.getKey());
            assertThat(received.getMessage()).isEqualTo(sent.getMessage());
            assertThat(received.toRpcError())
                    .as("fields of %s survive", e.getKey())
                    .isEqualTo(sent.toRpcError());
        }
    }

    @Test
    void fromRpcError_policyDenied_keepsTypedFields() throws Exception {
        String wire = "{\"code\":2001,\"message\":\"denied\",\"data\":{\"name\":\"POLICY_DENIED\",\"rule\":\"ci\","
                + "\"operation\":\"publish\",\"gun\":\"g/x\",\"role\":\"targets\"}}";
        PolicyDeniedException e =
                (PolicyDeniedException) CustodyException.fromRpcError(mapper.readValue(wire, RpcError.class));
        assertThat(e.rule()).contains("ci");
        assertThat(e.operation()).isEqualTo("publish");
        assertThat(e.gun()).contains("g/x");
        assertThat(e.role()).contains("targets");
    }

    @Test
    void fromRpcError_pinIncorrectWithoutTries_isEmpty() throws Exception {
        PinIncorrectException e = (PinIncorrectException) CustodyException.fromRpcError(mapper.readValue(
                "{\"code\":1002,\"message\":\"wrong\",\"data\":{\"name\":\"PIN_INCORRECT\"}}", RpcError.class));
        assertThat(e.triesLeft()).isEmpty();
        assertThat(e.token()).isNull();
    }

    @Test
    void fromRpcError_unknownNumber_keepsWireCodeAndName() {
        CustodyException e = CustodyException.fromRpcError(
                new RpcError(5555, "something new", mapper.createObjectNode().put("name", "SOMETHING_NEW")));
        assertThat(e).isInstanceOf(UnrecognizedErrorException.class);
        UnrecognizedErrorException u = (UnrecognizedErrorException) e;
        assertThat(u.wireCode()).isEqualTo(5555);
        assertThat(u.wireName()).contains("SOMETHING_NEW");
        assertThat(u.code()).isEqualTo(ErrorCode.INTERNAL);
    }

    @Test
    void rpcError_dataNameCannotBeOverriddenByFields() {
        RpcError e = RpcError.of(
                ErrorCode.BUSY,
                "m",
                mapper.createObjectNode().put("name", "FAKE").put("limit", "x"));
        assertThat(e.name()).isEqualTo("BUSY");
        assertThat(e.data().get("limit").asText()).isEqualTo("x");
    }
}
