package dev.custody.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.custody.client.api.CustodyApi;
import dev.custody.protocol.DaemonStatus;
import dev.custody.protocol.ErrorCode;
import dev.custody.protocol.RpcError;
import dev.custody.protocol.RpcResponse;
import dev.custody.protocol.TokenStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The training run behind {@code custody}'s class-data archive ({@code bin/custody} with
 * {@code CUSTODY_CDS=build}, run by the build): runs a few typical commands in this JVM, so that the
 * JVM lists every class a short command loads, against a scripted custodyd on a private socket in a
 * temporary directory. It touches no real daemon, token or server; all output is discarded.
 */
public final class StartupTraining {
    /** Commands run in order: help, the daemon's status (table and JSON), listings, a method not served, a usage error. */
    static final List<List<String>> COMMANDS = List.of(
            List.of("--version"),
            List.of("--help"),
            List.of("status"),
            List.of("status", "-o", "json"),
            List.of("token", "list"),
            List.of("key", "list"),
            List.of("list", "example.com/app"),
            List.of("status", "--no-such-option"),
            List.of("add", "--help"));

    private StartupTraining() {}

    public static void main(String[] args) throws IOException {
        run();
    }

    /** Runs {@link #COMMANDS}; returns their exit statuses, in order. */
    static List<Integer> run() throws IOException {
        Path dir = Files.createTempDirectory("custody-training");
        Path socket = dir.resolve("custodyd.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread daemon = new Thread(() -> serve(server), "training-custodyd");
            daemon.setDaemon(true);
            daemon.start();
            PrintWriter sink = new PrintWriter(Writer.nullWriter());
            Map<String, String> env = Map.of("CUSTODY_SOCKET", socket.toString());
            List<Integer> statuses = new ArrayList<>();
            for (List<String> c : COMMANDS) {
                statuses.add(Main.run(c.toArray(String[]::new), env, sink, sink));
            }
            return statuses;
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }

    /** Answers each request line: status, token.list and key.list with plausible results, anything else METHOD_NOT_FOUND. */
    private static void serve(ServerSocketChannel server) {
        ObjectMapper json = CustodyApi.mapper();
        while (server.isOpen()) {
            try (SocketChannel ch = server.accept();
                    BufferedReader in = new BufferedReader(
                            new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
                    OutputStream out = Channels.newOutputStream(ch)) {
                for (String line; (line = in.readLine()) != null; ) {
                    JsonNode request = json.readTree(line);
                    RpcResponse response = answer(
                            json, request.path("id"), request.path("method").asText());
                    out.write(json.writeValueAsBytes(response));
                    out.write('\n');
                    out.flush();
                }
            } catch (IOException e) {
                // the server was closed at the end of the run, or a command hung up early
            }
        }
    }

    private static RpcResponse answer(ObjectMapper json, JsonNode id, String method) {
        TokenStatus token = new TokenStatus(
                "training",
                "training",
                "0000000000000000",
                "SoftHSM project",
                "SoftHSM v2",
                true,
                false,
                null,
                "prompt",
                false,
                false,
                false,
                0,
                "pkcs11",
                null,
                List.of());
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (method) {
            case "status" ->
                RpcResponse.success(
                        id,
                        json.valueToTree(new DaemonStatus(
                                "training",
                                ProcessHandle.current().pid(),
                                "2026-01-01T00:00:00Z",
                                3725,
                                false,
                                List.of(token),
                                0,
                                List.of(new DaemonStatus.RepositoryState("example.com/app", 1, null)),
                                List.of(),
                                List.of("status"))));
            case "token.list" ->
                RpcResponse.success(id, f.objectNode().set("tokens", json.valueToTree(List.of(token))));
            case "key.list" -> RpcResponse.success(id, f.objectNode().set("keys", f.arrayNode()));
            default ->
                RpcResponse.failure(id, RpcError.of(ErrorCode.METHOD_NOT_FOUND, "no such method: " + method, null));
        };
    }
}
