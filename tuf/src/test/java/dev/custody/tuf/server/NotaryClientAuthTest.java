package dev.custody.tuf.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The docker registry token flow, against a small server on 127.0.0.1 that guards
 * {@code /v2/} with bearer tokens and serves a token realm at {@code /token}.
 */
class NotaryClientAuthTest {
    private static final String GUN = "example.com/custody/app";
    private static final String ROOT_PATH = "/v2/" + GUN + "/_trust/tuf/root.json";
    private static final String ROOT = "{\"signed\":{\"_type\":\"Root\"},\"signatures\":[]}";
    private static final String UNAUTHORIZED =
            "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}";

    private FakeServer fake;
    private final AtomicInteger tokensIssued = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        fake = new FakeServer();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private String challenge() {
        return "Bearer realm=\"" + fake.url() + "/token\",service=\"notary.test\",scope=\"repository:" + GUN
                + ":pull,push\"";
    }

    /** /v2/ wants "Bearer token-N" for an issued N; /token issues tokens, checking basic credentials if demanded. */
    private void guardedServer(String requiredBasic) {
        fake.handle("/token", ex -> {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (requiredBasic != null && !requiredBasic.equals(auth)) {
                FakeServer.reply(ex, 401, "{\"details\":\"incorrect username or password\"}");
                return;
            }
            FakeServer.reply(ex, 200, "{\"token\":\"token-" + tokensIssued.incrementAndGet() + "\",\"expires_in\":60}");
        });
        fake.handle("/v2/", ex -> {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !auth.matches("Bearer token-[1-9][0-9]*")) {
                ex.getResponseHeaders().add("WWW-Authenticate", challenge());
                FakeServer.reply(ex, 401, UNAUTHORIZED);
                return;
            }
            FakeServer.reply(ex, 200, ROOT);
        });
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void getRole_bearerChallenge_fetchesTokenWithBasicCredentialsAndRetriesOnce() throws Exception {
        guardedServer(basic("ci-agent", "s3cret"));
        NotaryClient client =
                NotaryClient.builder(fake.url()).basicAuth("ci-agent", "s3cret").build();

        assertThat(client.getRole(GUN, "root")).asString(StandardCharsets.UTF_8).isEqualTo(ROOT);

        var token = fake.seen("/token");
        assertThat(token).hasSize(1);
        assertThat(token.get(0).header("Authorization")).isEqualTo(basic("ci-agent", "s3cret"));
        assertThat(token.get(0).query())
                .isEqualTo("service=notary.test&scope=repository%3A" + GUN.replace("/", "%2F")
                        + "%3Apull%2Cpush&account=ci-agent");
        var tuf = fake.seen("/v2/");
        assertThat(tuf).hasSize(2);
        assertThat(tuf.get(0).header("Authorization")).isNull();
        assertThat(tuf.get(1).header("Authorization")).isEqualTo("Bearer token-1");
        assertThat(tuf.get(1).path()).isEqualTo(ROOT_PATH);
    }

    @Test
    void getRole_secondCall_reusesTokenWithoutChallenge() throws Exception {
        guardedServer(null);
        NotaryClient client = NotaryClient.builder(fake.url()).build();
        client.getRole(GUN, "root");

        client.getRole(GUN, "root");

        assertThat(fake.seen("/token")).hasSize(1);
        assertThat(fake.seen("/v2/")).hasSize(3);
        assertThat(fake.seen("/v2/").get(2).header("Authorization")).isEqualTo("Bearer token-1");
    }

    @Test
    void getRole_bearerChallengeWithoutCredentials_fetchesAnonymousToken() throws Exception {
        guardedServer(null);
        NotaryClient client = NotaryClient.builder(fake.url()).build();

        client.getRole(GUN, "root");

        assertThat(fake.seen("/token").get(0).header("Authorization")).isNull();
        assertThat(fake.seen("/token").get(0).query()).doesNotContain("account=");
    }

    @Test
    void getRole_tokenRealmRefusesCredentials_throwsAuthRequiredWithRealmBody() throws Exception {
        guardedServer(basic("ci-agent", "right"));
        NotaryClient client =
                NotaryClient.builder(fake.url()).basicAuth("ci-agent", "wrong").build();

        assertThatThrownBy(() -> client.getRole(GUN, "root")).isInstanceOfSatisfying(AuthRequiredException.class, e -> {
            assertThat(e.code()).isEqualTo(NotaryServerException.Code.AUTH_REQUIRED);
            assertThat(e.request()).startsWith("GET " + fake.url() + "/token?");
            assertThat(e.serverBody()).isEqualTo("{\"details\":\"incorrect username or password\"}");
        });
        assertThat(fake.seen("/v2/")).hasSize(1);
    }

    @Test
    void getRole_tokenNotAccepted_throwsAuthRequiredAfterOneRetry() throws Exception {
        fake.handle("/token", ex -> FakeServer.reply(ex, 200, "{\"access_token\":\"useless\"}"));
        fake.handle("/v2/", ex -> {
            ex.getResponseHeaders().add("WWW-Authenticate", challenge());
            FakeServer.reply(ex, 401, UNAUTHORIZED);
        });
        NotaryClient client = NotaryClient.builder(fake.url()).build();

        assertThatThrownBy(() -> client.getRole(GUN, "root")).isInstanceOfSatisfying(AuthRequiredException.class, e -> {
            assertThat(e.status()).isEqualTo(401);
            assertThat(e.serverBody()).isEqualTo(UNAUTHORIZED);
            assertThat(e.getMessage()).contains("challenge Bearer realm=").endsWith(UNAUTHORIZED);
        });
        assertThat(fake.seen("/token")).hasSize(1);
        assertThat(fake.seen("/v2/")).hasSize(2);
        assertThat(fake.seen("/v2/").get(1).header("Authorization")).isEqualTo("Bearer useless");
    }

    @Test
    void getRole_configuredBearerToken_sentWithoutChallenge() throws Exception {
        guardedServer(null);
        NotaryClient client =
                NotaryClient.builder(fake.url()).bearerToken("token-7").build();

        client.getRole(GUN, "root");

        assertThat(fake.seen("/token")).isEmpty();
        assertThat(fake.seen("/v2/"))
                .singleElement()
                .satisfies(s -> assertThat(s.header("Authorization")).isEqualTo("Bearer token-7"));
    }

    @Test
    void getRole_basicChallenge_retriesWithBasicCredentials() throws Exception {
        String expected = basic("alice", "pw");
        fake.handle("/v2/", ex -> {
            if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"notary\"");
                FakeServer.reply(ex, 401, "");
                return;
            }
            FakeServer.reply(ex, 200, ROOT);
        });
        NotaryClient client =
                NotaryClient.builder(fake.url()).basicAuth("alice", "pw").build();

        client.getRole(GUN, "root");
        client.getRole(GUN, "root");

        assertThat(fake.seen("/v2/"))
                .extracting(s -> s.header("Authorization"))
                .containsExactly(null, expected, expected);
    }

    @Test
    void getRole_basicChallengeWithoutCredentials_throwsAuthRequired() throws Exception {
        fake.handle("/v2/", ex -> {
            ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"notary\"");
            FakeServer.reply(ex, 401, "");
        });
        NotaryClient client = NotaryClient.builder(fake.url()).build();

        assertThatThrownBy(() -> client.getRole(GUN, "root")).isInstanceOf(AuthRequiredException.class);
        assertThat(fake.seen("/v2/")).hasSize(1);
    }

    @Test
    void getRole_plainHttpRealmOnOtherHost_withholdsCredentials() throws Exception {
        guardedServer(null);
        fake.handle("/v2/other", ex -> {
            ex.getResponseHeaders()
                    .add(
                            "WWW-Authenticate",
                            "Bearer realm=\"http://localhost:" + fake.port() + "/token\",service=\"x\"");
            FakeServer.reply(ex, 401, UNAUTHORIZED);
        });
        NotaryClient client =
                NotaryClient.builder(fake.url()).basicAuth("ci-agent", "s3cret").build();

        assertThatThrownBy(() -> client.getRole("other/app", "root"))
                .isInstanceOfSatisfying(
                        AuthRequiredException.class,
                        e -> assertThat(e.getMessage()).contains("credentials withheld from token realm"));
        assertThat(fake.seen("/token")).isEmpty();
    }

    @Test
    void getRole_tokenResponseWithoutToken_throwsMalformedResponse() throws Exception {
        fake.handle("/token", ex -> FakeServer.reply(ex, 200, "{\"expires_in\":60}"));
        fake.handle("/v2/", ex -> {
            ex.getResponseHeaders().add("WWW-Authenticate", challenge());
            FakeServer.reply(ex, 401, UNAUTHORIZED);
        });
        NotaryClient client = NotaryClient.builder(fake.url()).build();

        assertThatThrownBy(() -> client.getRole(GUN, "root"))
                .isInstanceOfSatisfying(
                        MalformedResponseException.class,
                        e -> assertThat(e.getMessage()).contains("no usable \"token\""));
    }

    @Test
    void getRole_forbidden_throwsAuthDenied() throws Exception {
        fake.handle("/v2/", ex -> FakeServer.reply(ex, 403, "{\"errors\":[{\"code\":\"DENIED\"}]}"));
        NotaryClient client = NotaryClient.builder(fake.url()).build();

        assertThatThrownBy(() -> client.getRole(GUN, "root")).isInstanceOfSatisfying(AuthDeniedException.class, e -> {
            assertThat(e.code()).isEqualTo(NotaryServerException.Code.AUTH_DENIED);
            assertThat(e.serverCodes()).containsExactly("DENIED");
        });
    }
}
