package dev.custody.daemon.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.protocol.BadRequestException;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

class ParamsTest {
    private final ObjectMapper mapper = new ObjectMapper();

    record Target(String name, long size) {}

    record AddParams(String gun, List<Target> targets, boolean publish) {
        AddParams {
            Objects.requireNonNull(gun, "gun is required");
        }
    }

    private BadRequestException fail(String json) {
        try {
            Params.bind(mapper.readTree(json), AddParams.class);
        } catch (BadRequestException e) {
            return e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected BAD_REQUEST for " + json);
    }

    @Test
    void bind_wellTyped_binds() throws Exception {
        AddParams p = Params.bind(
                mapper.readTree("{\"gun\":\"g\",\"targets\":[{\"name\":\"v1\",\"size\":3}]," + "\"publish\":true}"),
                AddParams.class);
        assertThat(p.targets()).containsExactly(new Target("v1", 3));
        assertThat(p.publish()).isTrue();
    }

    @Test
    void bind_wrongTypes_nameTheField() {
        assertThat(fail("{\"gun\":5}")).satisfies(e -> {
            assertThat(e.getMessage()).isEqualTo("params.gun must be a string");
            assertThat(e.field()).contains("params.gun");
        });
        assertThat(fail("{\"gun\":\"g\",\"targets\":[{\"name\":\"v1\",\"size\":\"3\"}]}")
                        .getMessage())
                .isEqualTo("params.targets[0].size must be an integer");
        assertThat(fail("{\"gun\":\"g\",\"publish\":\"yes\"}").getMessage())
                .isEqualTo("params.publish must be a boolean");
        assertThat(fail("{\"gun\":\"g\",\"targets\":{}}").getMessage()).isEqualTo("params.targets must be an array");
    }

    @Test
    void bind_unknownAndMissing_areExplained() {
        assertThat(fail("{\"gun\":\"g\",\"publish\":true,\"tragets\":[]}").getMessage())
                .startsWith("params.tragets is not a known parameter")
                .contains("gun, publish, targets");
        assertThat(fail("{\"publish\":true}").getMessage()).contains("gun is required");
        assertThat(fail("{\"gun\":\"g\"}").getMessage()).isEqualTo("params.publish is required (a boolean)");
    }

    @Test
    void bind_absentParams_areEmptyObject() throws Exception {
        record None() {}
        assertThat(Params.bind(null, None.class)).isEqualTo(new None());
        assertThatThrownBy(() -> Params.bind(mapper.readTree("{\"x\":1}"), None.class))
                .isInstanceOf(BadRequestException.class);
    }
}
