package dev.custody.testhsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy itself, in front of a real notary-server, seen by a plain HTTP client. */
class HostileNotaryTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP =
            HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    static Path dir;

    static NotaryServer server;

    @BeforeAll
    static void startServer() throws IOException {
        server = NotaryServer.startHttp(dir);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static String keyPath(String gun) {
        return "/v2/" + gun + "/_trust/tuf/timestamp.key";
    }

    private static HttpResponse<String> send(String base, String method, String path, Duration timeout)
            throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(timeout)
                .method(
                        method,
                        method.equals("POST")
                                ? HttpRequest.BodyPublishers.ofString("--x--\r\n")
                                : HttpRequest.BodyPublishers.noBody())
                .header("Content-Type", "multipart/form-data; boundary=x")
                .build();
        return HTTP.send(r, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> get(String base, String path) throws IOException, InterruptedException {
        return send(base, "GET", path, Duration.ofSeconds(10));
    }

    private static String gun() {
        return "example.com/hostile/" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void forward_passesRequestsAndAnswersThrough() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (HostileNotary p = HostileNotary.start(server.url())) {
                String gun = gun();
                assertThat(get(p.url(), "/_notary_server/health").statusCode()).isEqualTo(200);
                assertThat(get(p.url(), "/v2/" + gun + "/_trust/tuf/root.json").statusCode())
                        .isEqualTo(404);
                HttpResponse<String> key = get(p.url(), keyPath(gun));
                assertThat(key.statusCode()).isEqualTo(200);
                assertThat(key.body()).contains("\"keyval\"");
                assertThat(p.log()).contains("GET /v2/" + gun + "/_trust/tuf/root.json → FORWARD");
            }
        });
    }

    @Test
    void dropPublishes_answers200AndTheServerNeverSeesIt() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (HostileNotary p = HostileNotary.start(server.url())) {
                String gun = gun();
                // forwarded, the server refuses this empty form
                assertThat(send(p.url(), "POST", "/v2/" + gun + "/_trust/tuf/", LIMIT)
                                .statusCode())
                        .isEqualTo(400);
                p.dropPublishes();
                assertThat(send(p.url(), "POST", "/v2/" + gun + "/_trust/tuf/", LIMIT)
                                .statusCode())
                        .isEqualTo(200);
                assertThat(p.dropped()).isEqualTo(1);
                assertThat(p.log()).last().isEqualTo("POST /v2/" + gun + "/_trust/tuf/ → DROP");
                assertThat(get(server.url(), "/v2/" + gun + "/_trust/tuf/root.json")
                                .statusCode())
                        .isEqualTo(404);
                // other requests still pass
                assertThat(get(p.url(), "/_notary_server/health").statusCode()).isEqualTo(200);
            }
        });
    }

    /** An upstream whose answer the test changes (notary-server mints a new key on every GET of an unused GUN). */
    private static HttpServer upstream(AtomicReference<String> body) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", ex -> {
            byte[] b = body.get().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        s.start();
        return s;
    }

    private static String url(HttpServer s) {
        return "http://127.0.0.1:" + s.getAddress().getPort();
    }

    @Test
    void replayFromNow_servesTheBodyServedBeforeNotTheServersCurrentOne() {
        assertTimeoutPreemptively(LIMIT, () -> {
            AtomicReference<String> current = new AtomicReference<>("{\"version\":1}");
            HttpServer up = upstream(current);
            try (HostileNotary p = HostileNotary.start(url(up))) {
                String path = "/v2/" + gun() + "/_trust/tuf/timestamp.json";
                assertThat(get(p.url(), path).body()).isEqualTo("{\"version\":1}");
                p.replayFromNow();
                current.set("{\"version\":2}");
                assertThat(get(url(up), path).body()).isEqualTo("{\"version\":2}");
                assertThat(get(p.url(), path).body()).as("replayed").isEqualTo("{\"version\":1}");
                assertThat(p.log()).last().asString().endsWith("REPLAY");
                // a path never served before is forwarded
                assertThat(get(p.url(), path + "x").body()).isEqualTo("{\"version\":2}");
                p.reset();
                assertThat(get(p.url(), path).body()).isEqualTo("{\"version\":2}");
            } finally {
                up.stop(0);
            }
        });
    }

    @Test
    void stall_holdsUntilReleasedThenForwards() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (HostileNotary p = HostileNotary.start(server.url())) {
                p.stall("GET", ".*/health");
                assertThatThrownBy(() -> send(p.url(), "GET", "/_notary_server/health", Duration.ofMillis(500)))
                        .isInstanceOf(HttpTimeoutException.class);
                CompletableFuture<HttpResponse<String>> f = CompletableFuture.supplyAsync(() -> {
                    try {
                        return get(p.url(), "/_notary_server/health");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                // the first request (its client gone) and this one
                assertThat(p.awaitStalled(2, Duration.ofSeconds(10))).isTrue();
                assertThat(f).isNotDone();
                p.release();
                assertThat(f.get().statusCode()).isEqualTo(200);
            }
        });
    }

    @Test
    void delay_answersLateButAnswers() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (HostileNotary p = HostileNotary.start(server.url())) {
                p.delay("GET", ".*/health", Duration.ofMillis(700));
                long t0 = System.nanoTime();
                assertThat(get(p.url(), "/_notary_server/health").statusCode()).isEqualTo(200);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(700));
                assertThat(p.log()).last().asString().endsWith("DELAY");
            }
        });
    }

    @Test
    void stallMidBody_sendsHeadersAndHalfTheBodyThenNothing() {
        assertTimeoutPreemptively(LIMIT, () -> {
            String full = "{\"signed\":{\"_type\":\"Timestamp\",\"version\":7},\"signatures\":[]}";
            HttpServer up = upstream(new AtomicReference<>(full));
            try (HostileNotary p = HostileNotary.start(url(up))) {
                String path = "/v2/" + gun() + "/_trust/tuf/timestamp.json";
                p.stallMidBody("GET", ".*/timestamp\\.json");
                HttpResponse<InputStream> r = HTTP.send(
                        HttpRequest.newBuilder(URI.create(p.url() + path)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(full.length());
                byte[] half = r.body().readNBytes(full.length() / 2);
                assertThat(new String(half, StandardCharsets.UTF_8)).isEqualTo(full.substring(0, full.length() / 2));
                assertThat(p.awaitStalled(1, Duration.ofSeconds(10))).isTrue();
                assertThat(r.body().available()).isZero();
                p.release();
                assertThat(new String(r.body().readAllBytes(), StandardCharsets.UTF_8))
                        .isEqualTo(full.substring(full.length() / 2));
            } finally {
                up.stop(0);
            }
        });
    }

    @Test
    void endlessBody_neverEnds() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (HostileNotary p = HostileNotary.start(server.url())) {
                p.endlessBody("GET", ".*\\.json");
                HttpResponse<InputStream> r = HTTP.send(
                        HttpRequest.newBuilder(URI.create(p.url() + "/v2/" + gun() + "/_trust/tuf/root.json"))
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValue("Content-Length")).isEmpty();
                try (InputStream in = r.body()) {
                    assertThat(in.readNBytes(32 << 20)).hasSize(32 << 20);
                }
            }
        });
    }

    @Test
    void oversizedBody_declaresAndSendsEveryByte() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (HostileNotary p = HostileNotary.start(server.url())) {
                p.oversizedBody("GET", ".*/root\\.json", 11L << 20);
                HttpResponse<byte[]> r = HTTP.send(
                        HttpRequest.newBuilder(URI.create(p.url() + "/v2/" + gun() + "/_trust/tuf/root.json"))
                                .build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(11L << 20);
                assertThat(r.body()).hasSize(11 << 20);
                assertThat(new String(r.body(), 0, 10, StandardCharsets.US_ASCII))
                        .startsWith("{\"signed\"");
            }
        });
    }
}
