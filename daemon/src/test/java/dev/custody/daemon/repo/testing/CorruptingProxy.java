package dev.custody.daemon.repo.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An HTTP proxy in front of the real notary-server that, while {@link #corrupt} is set, hands out
 * {@code timestamp.json} with its signature altered: a server returning bad metadata.
 */
public final class CorruptingProxy implements AutoCloseable {
    public final AtomicBoolean corrupt = new AtomicBoolean();
    private final HttpServer http;
    private final HttpClient client = HttpClient.newHttpClient();
    private final String upstream;

    public CorruptingProxy(String upstream) throws IOException {
        this.upstream = upstream.replaceAll("/$", "");
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", this::handle);
        http.start();
    }

    public String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            byte[] body = ex.getRequestBody().readAllBytes();
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(upstream + ex.getRequestURI()))
                    .method(
                            ex.getRequestMethod(),
                            body.length == 0
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofByteArray(body));
            String ct = ex.getRequestHeaders().getFirst("Content-Type");
            if (ct != null) {
                b.header("Content-Type", ct);
            }
            HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            byte[] out = r.body();
            if (corrupt.get() && ex.getRequestURI().getPath().endsWith("/timestamp.json") && r.statusCode() == 200) {
                ObjectMapper m = new ObjectMapper();
                ObjectNode n = (ObjectNode) m.readTree(out);
                ObjectNode sig = (ObjectNode) n.get("signatures").get(0);
                String s = sig.get("sig").asText();
                sig.put("sig", (s.charAt(0) == 'A' ? "B" : "A") + s.substring(1));
                out = m.writeValueAsBytes(n);
            }
            for (String h : List.of("Content-Type")) {
                r.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().add(h, v));
            }
            ex.sendResponseHeaders(r.statusCode(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                ex.getResponseBody().write(out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ex.sendResponseHeaders(502, -1);
        } finally {
            ex.close();
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
