package dev.custody.client.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.LongNode;
import dev.custody.protocol.Protocol;
import dev.custody.protocol.RpcRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The mapper-free reading and writing of plain lines gives what the strict mapper gives, and refuses what it refuses. */
class CoreJsonTest {
    private final ObjectMapper mapper = Protocol.newMapper();

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readOrNull_givesTheMappersTree_nodeTypesIncluded() throws Exception {
        String[] lines = {
            "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"version\":\"0.1.0\",\"pid\":4242,\"uptimeSeconds\":9000000000,"
                    + "\"big\":123456789012345678901234567890,\"ratio\":0.25,\"neg\":-1e-3,\"ok\":true,\"no\":false,\"none\":null,"
                    + "\"tokens\":[{\"name\":\"yk\\u00e9 \\\"1\\\"\",\"warnings\":[]}],\"empty\":{},\"nested\":[[1,[2]],{}]}}",
            "[]",
            "\"just a string\"",
            "42",
            "null",
        };
        for (String line : lines) {
            JsonNode lean = CoreJson.readOrNull(bytes(line));
            JsonNode bound = mapper.readTree(line);
            assertThat(lean).as(line).isEqualTo(bound);
            assertThat(lean.toString()).as(line).isEqualTo(bound.toString());
        }
        JsonNode n = CoreJson.readOrNull(bytes(lines[0])).get("result");
        assertThat(n.get("pid").isInt()).isTrue();
        assertThat(n.get("uptimeSeconds").isLong()).isTrue();
        assertThat(n.get("big").isBigInteger()).isTrue();
        assertThat(n.get("ratio").isDouble()).isTrue();
    }

    @Test
    void readOrNull_refusesWhatTheStrictMapperRefuses() {
        String deep = "[".repeat(Protocol.MAX_NESTING_DEPTH + 1) + "]".repeat(Protocol.MAX_NESTING_DEPTH + 1);
        for (String line : new String[] {
            "",
            "   ",
            "{\"id\":1,\"id\":2}",
            "{\"result\":{}} {}",
            "{\"result\":{}}x",
            "{\"result\":",
            "{result:1}",
            "{\"a\":'x'}",
            "[1,]",
            deep
        }) {
            assertThat(CoreJson.readOrNull(bytes(line))).as(line).isNull();
        }
        String deepest = "[".repeat(Protocol.MAX_NESTING_DEPTH) + "]".repeat(Protocol.MAX_NESTING_DEPTH);
        assertThat(CoreJson.readOrNull(bytes(deepest))).isNotNull();
    }

    @Test
    void request_isWhatTheMapperWritesForARequestWithoutParams() throws Exception {
        assertThat(new String(CoreJson.request(12, "status"), StandardCharsets.UTF_8))
                .isEqualTo(mapper.writeValueAsString(RpcRequest.of(12, "status", null)))
                .isEqualTo("{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"status\"}");
        JsonNode r = mapper.readTree(CoreJson.request(Long.MAX_VALUE, "a\"b\\c\u00e9"));
        assertThat(r.get("id")).isEqualTo(LongNode.valueOf(Long.MAX_VALUE));
        assertThat(r.get("method").asText()).isEqualTo("a\"b\\c\u00e9");
    }
}
