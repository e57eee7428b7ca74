package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.RawConnection;
import dev.custody.daemon.testing.Requires;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names are checked at the door (issue #11, property 7): GUNs, target names, role names with control
 * characters, lone surrogates, {@code ..} or empty path segments are refused when the request arrives
 * with BAD_REQUEST naming the field, for every method (repo.add, repo.add.batch, key.generate, …), so
 * nothing is staged; requests that are not strict UTF-8 (UTF-16, UTF-32, overlong forms) are refused.
 * (The CLI's tables escape control characters: {@code TableEscapeTest} in client/.)
 */
@Requires(Capability.LINUX)
class NamesAtTheDoorTest {
    @TempDir
    Path dir;

    /** Sends {@code method} with raw {@code params} JSON text (escapes kept as written). */
    private static JsonNode raw(RawConnection c, String method, String paramsJson) throws Exception {
        return c.call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + paramsJson + "}");
    }

    private static void assertBadRequest(JsonNode reply, String field) {
        assertThat(reply.path("error").path("data").path("name").asText())
                .as(reply.toString())
                .isEqualTo("BAD_REQUEST");
        assertThat(reply.path("error").path("data").path("field").asText())
                .as(reply.toString())
                .isEqualTo(field);
    }

    @Test
    void badNames_everyMethod_badRequestNamingTheField_nothingStaged() {
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, "");
                    CustodyClient c = t.client();
                    RawConnection r = new RawConnection(t.config().socket().path())) {
                String gun = RepoTestbed.newGun("names");
                c.call("repo.init", params("gun", gun));
                ObjectNode ok = target(gun, "v1", "one");
                String sha = ok.get("sha256").asText();
                String add = "{\"gun\":\"" + gun + "\",\"target\":%s,\"length\":3,\"sha256\":\"" + sha + "\"}";
                Map<String, String> badTargets = Map.of(
                        "\"evil\\u001b[2J\"", "control character",
                        "\"a\\nb\"", "control character",
                        "\"x\\ud800\"", "lone surrogate",
                        "\"../etc/passwd\"", "'..' path segment",
                        "\"a//b\"", "empty path segment",
                        "\"\"", "must not be empty");
                for (Map.Entry<String, String> e : badTargets.entrySet()) {
                    JsonNode reply = raw(r, "repo.add", add.formatted(e.getKey()));
                    assertBadRequest(reply, "params.target");
                    assertThat(reply.path("error").path("message").asText()).contains(e.getValue());
                }
                assertBadRequest(
                        raw(
                                r,
                                "repo.add",
                                "{\"gun\":\"" + gun + "/\\u0007\",\"target\":\"v\",\"length\":3," + "\"sha256\":\""
                                        + sha + "\"}"),
                        "params.gun");
                assertBadRequest(
                        raw(
                                r,
                                "repo.add",
                                "{\"gun\":\"" + gun + "\",\"target\":\"v\",\"role\":\"targets/../x\","
                                        + "\"length\":3,\"sha256\":\"" + sha + "\"}"),
                        "params.role");
                assertBadRequest(
                        raw(
                                r,
                                "repo.addBatch",
                                "{\"gun\":\"" + gun + "\",\"targets\":[{\"name\":\"ok\",\"length\":3," + "\"sha256\":\""
                                        + sha + "\"},{\"name\":\"bad\\r\",\"length\":3,\"sha256\":\"" + sha + "\"}]}"),
                        "params.targets[1].name");
                assertBadRequest(
                        raw(r, "key.generate", "{\"role\":\"targets\\u0000\",\"gun\":\"" + gun + "\"}"), "params.role");
                assertBadRequest(raw(r, "key.generate", "{\"role\":\"targets\",\"gun\":\"a/../b\"}"), "params.gun");
                assertBadRequest(raw(r, "repo.status", "{\"gun\":\"" + gun + "\\u009b\"}"), "params.gun");
                assertThat(c.call("repo.status", params("gun", gun)).get("changes"))
                        .as("nothing staged")
                        .isEmpty();
                // a good name still works
                c.call("repo.add", ok);
                assertThat(c.call("repo.status", params("gun", gun)).get("changes"))
                        .hasSize(1);
            }
        });
    }

    @Test
    void requestNotUtf8_utf16Utf32OverlongInvalid_badRequest() {
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, "")) {
                String ping = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\",\"params\":{}}\n";
                for (Charset cs : List.of(
                        StandardCharsets.UTF_16BE,
                        StandardCharsets.UTF_16LE,
                        StandardCharsets.UTF_16,
                        Charset.forName("UTF-32BE"),
                        Charset.forName("UTF-32LE"))) {
                    try (RawConnection r = new RawConnection(t.config().socket().path())) {
                        byte[] body = ping.getBytes(cs);
                        // the line ends with one \n byte, as the reader frames it
                        byte[] line = java.util.Arrays.copyOf(body, body.length);
                        r.send(line).send(new byte[] {'\n'});
                        JsonNode reply = r.read();
                        assertThat(reply.path("error").path("data").path("name").asText())
                                .as(cs + ": " + reply)
                                .isEqualTo("BAD_REQUEST");
                        assertThat(reply.path("error").path("message").asText()).contains("UTF-8");
                    }
                }
                byte[] overlong = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\",\"params\":{\"echo\":\"__\"}}\n"
                        .getBytes(StandardCharsets.US_ASCII);
                int at = new String(overlong, StandardCharsets.US_ASCII).indexOf("__");
                overlong[at] = (byte) 0xc0; // overlong '/' : C0 AF
                overlong[at + 1] = (byte) 0xaf;
                try (RawConnection r = new RawConnection(t.config().socket().path())) {
                    JsonNode reply = r.send(overlong).read();
                    assertThat(reply.path("error").path("message").asText())
                            .as(reply.toString())
                            .contains("not valid UTF-8");
                }
                try (RawConnection r = new RawConnection(t.config().socket().path())) {
                    JsonNode reply = r.send(ping).read();
                    assertThat(reply.path("result").path("pong").asBoolean())
                            .as(reply.toString())
                            .isTrue();
                }
            }
        });
    }
}
