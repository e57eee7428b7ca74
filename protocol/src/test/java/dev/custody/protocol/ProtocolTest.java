package dev.custody.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProtocolTest {
    private final ObjectMapper mapper = Protocol.newMapper();

    record Params(String gun, int count, boolean push) {}

    @Test
    void mapper_numberForString_isRejected() {
        assertThatThrownBy(() -> mapper.readValue("{\"gun\":5,\"count\":1,\"push\":true}", Params.class))
                .isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void mapper_stringForNumberOrBoolean_isRejected() {
        assertThatThrownBy(() -> mapper.readValue("{\"gun\":\"g\",\"count\":\"1\",\"push\":true}", Params.class))
                .isInstanceOf(JsonProcessingException.class);
        assertThatThrownBy(() -> mapper.readValue("{\"gun\":\"g\",\"count\":1,\"push\":\"true\"}", Params.class))
                .isInstanceOf(JsonProcessingException.class);
        assertThatThrownBy(() -> mapper.readValue("{\"gun\":\"g\",\"count\":1.5,\"push\":true}", Params.class))
                .isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void mapper_duplicateKeysUnknownFieldsTrailingTokens_areRejected() {
        assertThatThrownBy(() -> mapper.readTree("{\"a\":1,\"a\":2}")).isInstanceOf(JsonProcessingException.class);
        assertThatThrownBy(() -> mapper.readValue("{\"gun\":\"g\",\"count\":1,\"push\":true,\"x\":1}", Params.class))
                .isInstanceOf(JsonProcessingException.class);
        assertThatThrownBy(() -> mapper.readValue("{\"gun\":\"g\",\"count\":1,\"push\":true} {}", Params.class))
                .isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void mapper_deepNesting_isRejected() {
        String deep = "[".repeat(Protocol.MAX_NESTING_DEPTH + 1) + "]".repeat(Protocol.MAX_NESTING_DEPTH + 1);
        assertThatThrownBy(() -> mapper.readTree(deep)).isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void mapper_wellTyped_isAccepted() throws Exception {
        assertThat(mapper.readValue("{\"gun\":\"g\",\"count\":3,\"push\":false}", Params.class))
                .isEqualTo(new Params("g", 3, false));
    }

    @Test
    void socketFromEnvironment_envOverridesDefault() {
        assertThat(Protocol.socketFromEnvironment(Map.of())).isEqualTo(Protocol.DEFAULT_SOCKET);
        assertThat(Protocol.socketFromEnvironment(Map.of("CUSTODY_SOCKET", "/tmp/c.sock")))
                .isEqualTo(Path.of("/tmp/c.sock"));
        assertThat(Protocol.socketFromEnvironment(Map.of("CUSTODY_SOCKET", " ")))
                .isEqualTo(Protocol.DEFAULT_SOCKET);
    }

    @Test
    void rpcResponse_serialisesNullResultAndNullId() throws Exception {
        assertThat(mapper.writeValueAsString(RpcResponse.success(null, null)))
                .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":null}");
        RpcResponse back = mapper.readValue("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":null}", RpcResponse.class);
        assertThat(back.isError()).isFalse();
        assertThat(back.result().isNull()).isTrue();
    }
}
