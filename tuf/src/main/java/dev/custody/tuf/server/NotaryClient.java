package dev.custody.tuf.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.http.AuthRefusedException;
import dev.custody.http.TokenAuth;
import dev.custody.http.TrustedCas;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;

/**
 * HTTP client for the Notary server API (notary-server 0.7), in raw bytes: it fetches and sends
 * metadata exactly as stored and leaves parsing and verification to the TUF model. Every method
 * is one online call (plus, on a 401, one token fetch and one retry); none keeps state other than
 * the last working {@code Authorization}.
 *
 * <p>Call sequence: {@link #builder(String)} → {@link Builder#caFile}, {@link Builder#basicAuth} or
 * {@link Builder#bearerToken}, timeouts, {@link Builder#maxResponseBytes} → {@link Builder#build()}
 * → any of the calls below, from any thread.
 *
 * <pre>
 * GET    /v2/&lt;gun&gt;/_trust/tuf/&lt;role&gt;.json             {@link #getRole}
 * GET    /v2/&lt;gun&gt;/_trust/tuf/&lt;role&gt;.&lt;sha256&gt;.json    {@link #getRoleByChecksum}
 * GET    /v2/&lt;gun&gt;/_trust/tuf/&lt;n&gt;.root.json            {@link #getRootVersion}
 * GET    /v2/&lt;gun&gt;/_trust/tuf/&lt;role&gt;.key              {@link #getKey}
 * POST   /v2/&lt;gun&gt;/_trust/tuf/&lt;role&gt;.key              {@link #rotateKey}
 * POST   /v2/&lt;gun&gt;/_trust/tuf/  (multipart)          {@link #publish}
 * DELETE /v2/&lt;gun&gt;/_trust/tuf/                      {@link #delete}
 * GET    /_notary_server/health                       {@link #healthy}
 * </pre>
 *
 * Failures are {@link NotaryServerException}s: the HTTP status is mapped in
 * {@code ServerErrors.forStatus}, transport failures in {@code ServerErrors.forTransport}. GUNs and
 * role names are checked before anything is sent ({@link IllegalArgumentException}).
 */
public final class NotaryClient {
    public static final long DEFAULT_MAX_RESPONSE_BYTES = 10L * 1024 * 1024;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    public static final String DEFAULT_USER_AGENT = "custody";
    /** Error bodies are for messages only; notary's own client reads 1 KiB of them. */
    static final int MAX_ERROR_BODY_BYTES = 64 * 1024;
    /** notary's {@code MaxKeySize}. */
    static final long MAX_KEY_BYTES = 256 * 1024;

    static final long MAX_TOKEN_BYTES = 1024 * 1024;
    /** Bodies are collected in one array. */
    static final long MAX_RESPONSE_BYTES_CEILING = 1L << 30;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final long maxResponseBytes;
    private final String userAgent;
    private final TokenAuth auth;
    /** The server time left to this view's calls together (null: only the per-request timeout). */
    private final Budget budget;

    private NotaryClient(Builder b, SSLContext ssl) {
        this.budget = null;
        this.base = b.baseUrl;
        this.requestTimeout = b.requestTimeout;
        this.maxResponseBytes = b.maxResponseBytes;
        this.userAgent = b.userAgent;
        this.auth = new TokenAuth(b.baseUrl, b.user, b.password, b.bearerToken);
        HttpClient.Builder hb = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(b.connectTimeout);
        if (ssl != null) {
            hb.sslContext(ssl);
        }
        this.http = hb.build();
    }

    private NotaryClient(NotaryClient c, Budget budget) {
        this.base = c.base;
        this.http = c.http;
        this.requestTimeout = c.requestTimeout;
        this.maxResponseBytes = c.maxResponseBytes;
        this.userAgent = c.userAgent;
        this.auth = c.auth;
        this.budget = budget;
    }

    /**
     * A view of this client (same connections and credentials) whose calls together may wait for the server
     * at most {@code deadline}: each request's timeout is the smaller of the request timeout and the time
     * left, and a call made when none is left fails at once ({@link ServerUnreachableException},
     * {@code RESPONSE_TIMEOUT}, "deadline"). Only time spent in calls counts, not time between them (an
     * approval, a token). One operation's server work (fetches, POST, read-back) gets one such view.
     */
    public NotaryClient withDeadline(Duration deadline) {
        if (deadline == null || deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("deadline must be positive");
        }
        return new NotaryClient(this, new Budget(deadline));
    }

    /** The server time this view has left, if it has a deadline. */
    public java.util.Optional<Duration> timeLeft() {
        return budget == null ? java.util.Optional.empty() : java.util.Optional.of(budget.left());
    }

    /** Server time of one view: spent by its calls, one after another or at once. */
    private static final class Budget {
        private final Duration total;
        private final java.util.concurrent.atomic.AtomicLong spentNanos = new java.util.concurrent.atomic.AtomicLong();

        Budget(Duration total) {
            this.total = total;
        }

        Duration left() {
            return total.minusNanos(spentNanos.get());
        }

        void spend(long nanos) {
            spentNanos.addAndGet(nanos);
        }
    }

    /** @param baseUrl the server, e.g. {@code https://notary.example.com:4443} (a path prefix is kept) */
    public static Builder builder(String baseUrl) {
        return new Builder(baseUrl);
    }

    public URI baseUrl() {
        return base;
    }

    /** The current metadata of a role ({@code root}, {@code targets}, {@code targets/releases}, …), as stored. */
    public byte[] getRole(String gun, String role) throws NotaryServerException {
        URI uri = NotaryPaths.tuf(base, gun, NotaryPaths.checkRole(role) + ".json");
        return call("GET", uri, null, null, maxResponseBytes).body();
    }

    /**
     * A role's metadata by the SHA-256 of its bytes (consistent snapshot). The bytes served are
     * hashed and must match, else {@link MalformedResponseException}.
     */
    public byte[] getRoleByChecksum(String gun, String role, String sha256Hex) throws NotaryServerException {
        String checksum = NotaryPaths.checkSha256Hex(sha256Hex);
        URI uri = NotaryPaths.tuf(base, gun, NotaryPaths.checkRole(role) + "." + checksum + ".json");
        Response r = call("GET", uri, null, null, maxResponseBytes);
        String actual = HexFormat.of().formatHex(sha256(r.body()));
        if (!actual.equals(checksum)) {
            throw new MalformedResponseException(
                    "GET " + uri,
                    r.status(),
                    "served bytes have SHA-256 " + actual + ", not the checksum asked for",
                    null);
        }
        return r.body();
    }

    /** Root metadata of one version ({@code <n>.root.json}); notary-server keeps every root version it accepted. */
    public byte[] getRootVersion(String gun, int version) throws NotaryServerException {
        if (version < 1) {
            throw new IllegalArgumentException("root versions start at 1, not " + version);
        }
        URI uri = NotaryPaths.tuf(base, gun, version + ".root.json");
        return call("GET", uri, null, null, maxResponseBytes).body();
    }

    /**
     * The public key the server holds for {@code timestamp} or {@code snapshot}. notary-server
     * creates one on first request, so this also answers for repositories not yet published.
     */
    public ServerKey getKey(String gun, String role) throws NotaryServerException {
        URI uri = NotaryPaths.tuf(base, gun, NotaryPaths.checkServerKeyRole(role) + ".key");
        Response r = call("GET", uri, null, null, Math.min(MAX_KEY_BYTES, maxResponseBytes));
        return parseKey("GET " + uri, r);
    }

    /**
     * Asks the server for a new {@code timestamp} or {@code snapshot} key and returns it. The
     * server signs with it only once a root listing it has been published.
     */
    public ServerKey rotateKey(String gun, String role) throws NotaryServerException {
        URI uri = NotaryPaths.tuf(base, gun, NotaryPaths.checkServerKeyRole(role) + ".key");
        Response r = call("POST", uri, new byte[0], null, Math.min(MAX_KEY_BYTES, maxResponseBytes));
        return parseKey("POST " + uri, r);
    }

    /**
     * Publishes several roles in one atomic update: the server validates the set against what it
     * holds and stores all or none. Keys are role names, values the signed metadata bytes. A
     * refusal arrives as {@link MetadataRejectedException} with the server's validation message,
     * or {@link ConflictException} when the server already holds a newer version.
     */
    public void publish(String gun, Map<String, byte[]> roles) throws NotaryServerException {
        Objects.requireNonNull(roles, "roles");
        if (roles.isEmpty()) {
            throw new IllegalArgumentException("nothing to publish");
        }
        Map<String, byte[]> checked = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : roles.entrySet()) {
            checked.put(NotaryPaths.checkRole(e.getKey()), Objects.requireNonNull(e.getValue(), e.getKey()));
        }
        Multipart form = Multipart.of(checked);
        call("POST", NotaryPaths.tuf(base, gun, ""), form.body, form.contentType(), maxResponseBytes);
    }

    /** Deletes all trust data of a repository on the server ({@code notary delete --remote}). Idempotent. */
    public void delete(String gun) throws NotaryServerException {
        call("DELETE", NotaryPaths.tuf(base, gun, ""), null, null, maxResponseBytes);
    }

    /** Whether {@code /_notary_server/health} answers 200. Never throws. */
    public boolean healthy() {
        try {
            call("GET", NotaryPaths.health(base), null, null, 64 * 1024);
            return true;
        } catch (NotaryServerException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "NotaryClient[" + base + "]";
    }

    // --- HTTP ----------------------------------------------------------------------------------

    record Response(int status, HttpHeaders headers, byte[] body, boolean truncated) {}

    /** One call: send, answer a 401 once through the token flow, map any non-2xx. */
    private Response call(String method, URI uri, byte[] body, String contentType, long limit)
            throws NotaryServerException {
        String request = method + " " + uri;
        Response r = send(method, uri, body, contentType, auth.authorization(), limit, request);
        if (r.status() == 401 && answer(request, r.headers())) {
            r = send(method, uri, body, contentType, auth.authorization(), limit, request);
        }
        if (r.status() / 100 != 2) {
            throw ServerErrors.forStatus(request, r.status(), r.body(), r.truncated(), r.headers());
        }
        return r;
    }

    /** The token flow's answer to a 401 ({@link TokenAuth}); its refusals become this client's exceptions. */
    private boolean answer(String request, HttpHeaders headers) throws NotaryServerException {
        try {
            return auth.answer(headers.allValues("WWW-Authenticate"), null, this::fetchToken);
        } catch (AuthRefusedException e) {
            if (e.reason() == AuthRefusedException.Reason.BAD_TOKEN) {
                throw new MalformedResponseException(request, 200, e.getMessage(), e);
            }
            throw new AuthRequiredException(request, 401, "", List.of(), e.getMessage());
        } catch (NotaryServerException e) {
            throw e;
        } catch (IOException e) {
            throw ServerErrors.forTransport(request, e);
        }
    }

    private byte[] fetchToken(URI uri, String authorization) throws NotaryServerException {
        String request = "GET " + uri;
        Response r = send("GET", uri, null, null, authorization, MAX_TOKEN_BYTES, request);
        if (r.status() / 100 != 2) {
            throw ServerErrors.forStatus(request, r.status(), r.body(), r.truncated(), r.headers());
        }
        return r.body();
    }

    private Response send(
            String method, URI uri, byte[] body, String contentType, String authorization, long limit, String request)
            throws NotaryServerException {
        Duration timeout = requestTimeout;
        if (budget != null) {
            Duration left = budget.left();
            if (left.isNegative() || left.isZero()) {
                throw ServerErrors.deadline(request, budget.total);
            }
            timeout = left.compareTo(timeout) < 0 ? left : timeout;
        }
        long started = System.nanoTime();
        try {
            return exchange(method, uri, body, contentType, authorization, limit, request, timeout);
        } finally {
            if (budget != null) {
                budget.spend(System.nanoTime() - started);
            }
        }
    }

    private Response exchange(
            String method,
            URI uri,
            byte[] body,
            String contentType,
            String authorization,
            long limit,
            String request,
            Duration timeout)
            throws NotaryServerException {
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("User-Agent", userAgent)
                .method(
                        method,
                        body == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            rb.header("Content-Type", contentType);
        }
        if (authorization != null) {
            rb.header("Authorization", authorization);
        }
        CompletableFuture<HttpResponse<CappedBody.Body>> f =
                http.sendAsync(rb.build(), CappedBody.handler(request, limit, MAX_ERROR_BODY_BYTES));
        try {
            // one deadline for the whole exchange, body included: a server that drips bytes cannot hold us
            HttpResponse<CappedBody.Body> resp = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new Response(
                    resp.statusCode(),
                    resp.headers(),
                    resp.body().bytes(),
                    resp.body().truncated());
        } catch (TimeoutException e) {
            f.cancel(true);
            if (timeout.compareTo(requestTimeout) < 0) {
                throw ServerErrors.deadline(request, budget.total);
            }
            throw ServerErrors.timeout(request, requestTimeout.toMillis());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof java.net.http.HttpTimeoutException && timeout.compareTo(requestTimeout) < 0) {
                // the client's own timer, set to what was left of the deadline
                throw ServerErrors.deadline(request, budget.total);
            }
            throw ServerErrors.forTransport(request, e.getCause());
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw ServerErrors.interrupted(request, e);
        }
    }

    private static ServerKey parseKey(String request, Response r) throws MalformedResponseException {
        JsonNode json;
        try {
            json = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new MalformedResponseException(request, r.status(), "key response is not JSON", e);
        }
        if (json == null
                || !json.path("keytype").isTextual()
                || json.path("keytype").asText().isEmpty()
                || !json.path("keyval").path("public").isTextual()) {
            throw new MalformedResponseException(
                    request, r.status(), "key response lacks keytype or keyval.public", null);
        }
        JsonNode priv = json.path("keyval").path("private");
        if (!priv.isMissingNode()
                && !priv.isNull()
                && !(priv.isTextual() && priv.asText().isEmpty())) {
            throw new MalformedResponseException(request, r.status(), "server sent private key material", null);
        }
        byte[] pub;
        try {
            pub = Base64.getDecoder().decode(json.path("keyval").path("public").asText());
        } catch (IllegalArgumentException e) {
            throw new MalformedResponseException(request, r.status(), "keyval.public is not base64", e);
        }
        if (pub.length == 0) {
            throw new MalformedResponseException(request, r.status(), "keyval.public is empty", null);
        }
        return new ServerKey(json.path("keytype").asText(), pub, r.body());
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from the JDK", e);
        }
    }

    // --- builder -------------------------------------------------------------------------------

    /** Settings of a {@link NotaryClient}; only the base URL is required. */
    public static final class Builder {
        private final URI baseUrl;
        private Path caFile;
        private String user;
        private String password;
        private String bearerToken;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private long maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
        private String userAgent = DEFAULT_USER_AGENT;

        private Builder(String baseUrl) {
            this.baseUrl = checkBaseUrl(baseUrl);
        }

        /** PEM file of the CA certificate(s) to trust for https, instead of the JDK's default trust store. */
        public Builder caFile(Path pem) {
            this.caFile = Objects.requireNonNull(pem, "pem");
            return this;
        }

        /** Credentials for the token realm (docker registry token flow) or a Basic challenge. */
        public Builder basicAuth(String user, String password) {
            if (user == null || user.isEmpty() || user.indexOf(':') >= 0) {
                throw new IllegalArgumentException("user must be non-empty and contain no ':'");
            }
            this.user = user;
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** A bearer token sent with every request until a 401 makes the token flow fetch a new one. */
        public Builder bearerToken(String token) {
            if (token == null || token.isEmpty() || token.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
                throw new IllegalArgumentException("bearer token must be non-empty visible ASCII");
            }
            this.bearerToken = token;
            return this;
        }

        /** Time to establish the TCP (and TLS) connection. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout);
            return this;
        }

        /** Deadline for one whole exchange, connect and body included. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout);
            return this;
        }

        /**
         * Largest response body accepted (default 10 MiB, at most 1 GiB); larger ones fail with
         * {@link ResponseTooLargeException}.
         */
        public Builder maxResponseBytes(long max) {
            if (max < 1 || max > MAX_RESPONSE_BYTES_CEILING) {
                throw new IllegalArgumentException(
                        "maxResponseBytes must be between 1 and " + MAX_RESPONSE_BYTES_CEILING);
            }
            this.maxResponseBytes = max;
            return this;
        }

        public Builder userAgent(String userAgent) {
            if (userAgent == null || userAgent.isEmpty() || userAgent.chars().anyMatch(c -> c < 0x20 || c > 0x7e)) {
                throw new IllegalArgumentException("User-Agent must be non-empty printable ASCII");
            }
            this.userAgent = userAgent;
            return this;
        }

        /** @throws IOException if the CA file cannot be read or holds no certificate */
        public NotaryClient build() throws IOException {
            SSLContext ssl = null;
            if (caFile != null) {
                if (!baseUrl.getScheme().equals("https")) {
                    throw new IllegalArgumentException("a CA file is given but " + baseUrl + " is not https");
                }
                ssl = trusting(caFile);
            }
            return new NotaryClient(this, ssl);
        }

        private static SSLContext trusting(Path pem) throws IOException {
            return TrustedCas.sslContext(pem);
        }

        private static Duration positive(Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("timeout must be positive");
            }
            return d;
        }

        private static URI checkBaseUrl(String url) {
            URI u;
            try {
                u = new URI(Objects.requireNonNull(url, "baseUrl"));
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("not a URL: " + url, e);
            }
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("base URL must be http or https: " + url);
            }
            if (u.getHost() == null
                    || u.getRawUserInfo() != null
                    || u.getRawQuery() != null
                    || u.getRawFragment() != null) {
                throw new IllegalArgumentException("base URL must be scheme://host[:port][/prefix]: " + url);
            }
            String path = u.getRawPath() == null ? "" : u.getRawPath();
            while (path.endsWith("/")) {
                path = path.substring(0, path.length() - 1);
            }
            return URI.create(scheme + "://" + u.getRawAuthority() + path);
        }
    }
}
