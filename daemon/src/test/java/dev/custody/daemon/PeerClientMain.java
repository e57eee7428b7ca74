package dev.custody.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.protocol.CustodyException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs as another user in {@link PeerIdentityTest}: calls one method and prints the outcome as one
 * JSON line: {@code {"ok":true,"result":…}} or {@code {"ok":false,"code":"POLICY_DENIED",…}}.
 */
public final class PeerClientMain {
    private PeerClientMain() {}

    public static void main(String[] args) throws Exception {
        ObjectMapper m = new ObjectMapper();
        ObjectNode out = m.createObjectNode();
        try (CustodyClient c = CustodyClient.connect(Path.of(args[0]), Duration.ofSeconds(30))) {
            out.put("ok", true).set("result", c.call(args[1], m.readTree(args[2])));
        } catch (CustodyException e) {
            out.put("ok", false).put("code", e.code().name()).put("message", e.getMessage());
            out.set("error", e.toRpcError().data());
        }
        System.out.println(m.writeValueAsString(out));
    }
}
