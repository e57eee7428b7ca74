package dev.custody.testhsm;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A hostile Notary server: an HTTP proxy on 127.0.0.1 in front of a real notary-server that forwards
 * every request unchanged until a test tells it to lie. One misbehaviour (a {@link Rule}) at a time
 * applies to the requests it matches; replaying old metadata can be switched on besides it.
 *
 * <pre>
 * try (HostileNotary proxy = HostileNotary.start(notaryServer.url())) {
 *     proxy.url();                                   // give this to the code under test
 *     proxy.dropPublishes();                         // POST /v2/GUN/_trust/tuf/ → 200, nothing stored
 *     proxy.replayFromNow();                         // GETs answered with the bodies served before this call
 *     proxy.stall("GET", ".*timestamp\\.json");      // hold matching requests until release()/reset()/close()
 *     proxy.delay("GET", ".*\\.json", Duration.ofSeconds(1)); // each matching request answered 1 s late
 *     proxy.stallMidBody("GET", ".*timestamp\\.json"); // headers and half the body, then nothing
 *     proxy.endlessBody("GET", ".*\\.json");         // 200, chunked, bytes for ever
 *     proxy.oversizedBody("GET", ".*\\.json", 11 << 20); // 200 with a Content-Length of 11 MiB, all sent
 *     proxy.awaitStalled(1, Duration.ofSeconds(10)); // a matching request is being held now
 *     proxy.release();                               // held requests go on to the server
 *     proxy.reset();                                 // forward everything again; held requests are abandoned
 * }
 * </pre>
 *
 * Paths are matched against the request's raw path (e.g. {@code /v2/example.com/app/_trust/tuf/timestamp.json})
 * with {@link Pattern#matches}. {@link #log()} lists every request as {@code "METHOD path → action"}.
 * Only plain HTTP is served; the upstream may be http or https (trusting the JDK's default store).
 */
public final class HostileNotary implements AutoCloseable {
    /** The path of notary's publish endpoint: {@code POST /v2/<gun>/_trust/tuf/}. */
    public static final String PUBLISH_PATH = ".*/_trust/tuf/?";

    private static final int CHUNK = 16 * 1024;

    /** What happens to a matching request. */
    public enum Action {
        /** Forwarded unchanged (the default). */
        FORWARD,
        /** Answered 200 with an empty body; upstream never sees it. */
        DROP,
        /** Forwarded after a pause of {@link Rule#bytes} milliseconds: a slow server. */
        DELAY,
        /** Held without an answer until {@link #release()} (then forwarded), {@link #reset()} or {@link #close()}. */
        STALL,
        /** Forwarded; the client gets the status, the full Content-Length and half the body, then nothing. */
        STALL_MID_BODY,
        /** Answered 200 with a chunked body that never ends (until the client goes away or the proxy closes). */
        ENDLESS_BODY,
        /** Answered 200 with a declared and fully sent body of {@link Rule#bytes} bytes. */
        OVERSIZED_BODY
    }

    /**
     * A misbehaviour: {@code action} for requests whose method ({@code *}: any) and raw path match;
     * {@code bytes} is the body size of {@link Action#OVERSIZED_BODY} and the pause (ms) of {@link Action#DELAY}.
     */
    public record Rule(String method, Pattern path, Action action, long bytes) {
        public Rule {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(action, "action");
        }

        boolean matches(String m, String p) {
            return (method.equals("*") || method.equalsIgnoreCase(m))
                    && path.matcher(p).matches();
        }
    }

    private static final Rule NONE = new Rule("*", Pattern.compile(".*"), Action.FORWARD, 0);

    private final String upstream;
    private final HttpServer http;
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "hostile-notary");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final List<String> log = new ArrayList<>();
    /** The last 200 GET body served per path, and the frozen copy replay answers from. */
    private final Map<String, byte[]> served = new ConcurrentHashMap<>();

    private volatile Map<String, byte[]> replay;
    private volatile Rule rule = NONE;
    private volatile Gate gate = new Gate();
    private final AtomicInteger stalled = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();
    private volatile boolean closed;

    private HostileNotary(String upstream) throws IOException {
        this.upstream = upstream.replaceAll("/+$", "");
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        http.createContext("/", this::handle);
        http.setExecutor(workers);
        http.start();
    }

    /** A proxy on a free loopback port forwarding to {@code upstreamUrl} (e.g. {@link NotaryServer#url()}). */
    public static HostileNotary start(String upstreamUrl) throws IOException {
        return new HostileNotary(upstreamUrl);
    }

    /** Base URL of the proxy, e.g. {@code http://127.0.0.1:41234}. */
    public String url() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    public int port() {
        return http.getAddress().getPort();
    }

    // --- behaviours ------------------------------------------------------------------------------

    /** Publishes ({@code POST …/_trust/tuf/}) are answered 200 and stored nowhere. */
    public HostileNotary dropPublishes() {
        return set(new Rule("POST", Pattern.compile(PUBLISH_PATH), Action.DROP, 0));
    }

    /** Matching requests get no answer until {@link #release()}, {@link #reset()} or {@link #close()}. */
    public HostileNotary stall(String method, String pathRegex) {
        return set(new Rule(method, Pattern.compile(pathRegex), Action.STALL, 0));
    }

    /** Matching requests are forwarded after a pause of {@code pause}: a slow server, each answer in time. */
    public HostileNotary delay(String method, String pathRegex, Duration pause) {
        return set(new Rule(method, Pattern.compile(pathRegex), Action.DELAY, pause.toMillis()));
    }

    /** Matching requests get the status, the full Content-Length and half the upstream body, then silence. */
    public HostileNotary stallMidBody(String method, String pathRegex) {
        return set(new Rule(method, Pattern.compile(pathRegex), Action.STALL_MID_BODY, 0));
    }

    /** Matching requests get 200 and a chunked body of JSON-looking bytes that never ends. */
    public HostileNotary endlessBody(String method, String pathRegex) {
        return set(new Rule(method, Pattern.compile(pathRegex), Action.ENDLESS_BODY, 0));
    }

    /** Matching requests get 200 with {@code bytes} bytes, declared in Content-Length and all sent. */
    public HostileNotary oversizedBody(String method, String pathRegex, long bytes) {
        if (bytes < 2) {
            throw new IllegalArgumentException("bytes must be at least 2");
        }
        return set(new Rule(method, Pattern.compile(pathRegex), Action.OVERSIZED_BODY, bytes));
    }

    /** Sets the misbehaviour (replacing the previous one); requests already stalled stay stalled. */
    public synchronized HostileNotary set(Rule r) {
        rule = Objects.requireNonNull(r, "rule");
        return this;
    }

    /**
     * From now on every GET of a path this proxy has already answered with 200 gets that old body
     * again, not what the server holds now: a server (or a mirror, or a man in the middle) replaying
     * older metadata. Paths never served before are forwarded. Applies before the rule.
     */
    public synchronized HostileNotary replayFromNow() {
        replay = Map.copyOf(served);
        return this;
    }

    /**
     * Forward everything again: no rule, no replay. Requests still held are abandoned: their connections
     * are closed and the upstream never sees them (use {@link #release()} first to let them through).
     */
    public synchronized HostileNotary reset() {
        rule = NONE;
        replay = null;
        open(false);
        return this;
    }

    /** Lets every request held by {@link Action#STALL} or {@link Action#STALL_MID_BODY} go on (forwarded). */
    public synchronized void release() {
        open(true);
    }

    private void open(boolean forward) {
        Gate old = gate;
        gate = new Gate();
        old.forward = forward;
        old.latch.countDown();
    }

    /** One generation of held requests: opened once, either forwarding them or abandoning them. */
    private static final class Gate {
        final CountDownLatch latch = new CountDownLatch(1);
        volatile boolean forward;
    }

    /** Waits until at least {@code n} requests are being held; false on timeout. */
    public boolean awaitStalled(int n, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (stalled.get() < n) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /** Requests held right now. */
    public int stalled() {
        return stalled.get();
    }

    /** Requests answered {@link Action#DROP} so far. */
    public int dropped() {
        return dropped.get();
    }

    /** Every request so far, as {@code "METHOD path → action"}. */
    public synchronized List<String> log() {
        return List.copyOf(log);
    }

    @Override
    public void close() {
        closed = true;
        open(false);
        http.stop(0);
        workers.shutdownNow();
        try {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- serving ---------------------------------------------------------------------------------

    private void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getRawPath();
        Rule r = rule;
        Map<String, byte[]> frozen = replay;
        boolean replayed = frozen != null && method.equals("GET") && frozen.containsKey(path);
        Action a = replayed || !r.matches(method, path) ? Action.FORWARD : r.action();
        synchronized (this) {
            log.add(method + " " + path + " → " + (replayed ? "REPLAY" : a));
        }
        try {
            byte[] body = ex.getRequestBody().readAllBytes();
            if (replayed) {
                respond(ex, 200, "application/json", frozen.get(path));
                return;
            }
            switch (a) {
                case DROP -> {
                    dropped.incrementAndGet();
                    respond(ex, 200, "application/json", new byte[0]);
                }
                case STALL -> {
                    if (hold()) {
                        forward(ex, method, path, body, false);
                    }
                }
                case DELAY -> {
                    Thread.sleep(r.bytes());
                    forward(ex, method, path, body, false);
                }
                case STALL_MID_BODY -> forward(ex, method, path, body, true);
                case ENDLESS_BODY -> endless(ex);
                case OVERSIZED_BODY -> oversized(ex, r.bytes());
                default -> forward(ex, method, path, body, false);
            }
        } catch (IOException | RuntimeException e) {
            // the client went away (or the proxy closed): nothing to answer
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ex.close();
        }
    }

    /** Holds the request until the gate opens; whether to go on (false: abandon it, close the connection). */
    private boolean hold() throws InterruptedException {
        Gate g = gate;
        stalled.incrementAndGet();
        try {
            while (!closed && !g.latch.await(100, TimeUnit.MILLISECONDS)) {
                // wait for release(), reset() or close()
            }
            return g.forward && !closed;
        } finally {
            stalled.decrementAndGet();
        }
    }

    private void forward(HttpExchange ex, String method, String path, byte[] body, boolean stallMidBody)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(
                        URI.create(upstream + ex.getRequestURI().toString()))
                .timeout(Duration.ofSeconds(60))
                .method(
                        method,
                        body.length == 0
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        for (String h : List.of("Content-Type", "Authorization")) {
            String v = ex.getRequestHeaders().getFirst(h);
            if (v != null) {
                b.header(h, v);
            }
        }
        HttpResponse<byte[]> up = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        byte[] out = up.body();
        for (String h : List.of("Content-Type", "WWW-Authenticate")) {
            up.headers().allValues(h).forEach(v -> ex.getResponseHeaders().add(h, v));
        }
        if (method.equals("GET") && up.statusCode() == 200) {
            served.put(path, out);
        }
        if (!stallMidBody) {
            ex.sendResponseHeaders(up.statusCode(), out.length == 0 ? -1 : out.length);
            ex.getResponseBody().write(out);
            return;
        }
        ex.sendResponseHeaders(up.statusCode(), Math.max(out.length, 2));
        OutputStream o = ex.getResponseBody();
        o.write(out.length < 2 ? new byte[] {'{'} : Arrays.copyOf(out, out.length / 2));
        o.flush();
        if (!hold()) {
            return;
        }
        // released: the client is gone by now or gets the rest
        o.write(out.length < 2 ? new byte[] {'}'} : Arrays.copyOfRange(out, out.length / 2, out.length));
    }

    private static void respond(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
    }

    private void endless(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, 0);
        OutputStream o = ex.getResponseBody();
        o.write("{\"signed\":{\"_pad\":\"".getBytes(StandardCharsets.US_ASCII));
        byte[] pad = padding(CHUNK);
        while (!closed) {
            o.write(pad); // ends with an IOException once the client closes the connection
        }
    }

    private void oversized(HttpExchange ex, long bytes) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, bytes);
        OutputStream o = ex.getResponseBody();
        byte[] head = "{\"signed\":{\"_pad\":\"".getBytes(StandardCharsets.US_ASCII);
        byte[] tail = "\"}}".getBytes(StandardCharsets.US_ASCII);
        long left = bytes;
        if (bytes > head.length + tail.length) {
            o.write(head);
            left -= head.length + tail.length;
        } else {
            tail = new byte[0];
        }
        byte[] pad = padding(CHUNK);
        while (left > 0 && !closed) {
            int n = (int) Math.min(pad.length, left);
            o.write(pad, 0, n);
            left -= n;
        }
        o.write(tail);
    }

    private static byte[] padding(int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) 'A');
        return b;
    }
}
