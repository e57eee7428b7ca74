package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** trust sign's manifest lookup against a local Registry API v2 with the bearer token flow. */
class RegistryTest {
    private static final byte[] MANIFEST = "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8);
    private HttpServer server;
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private String start(boolean auth) throws Exception {
        return start(auth, null);
    }

    /** @param realm the token realm the challenge names, or null for this server's own /token */
    private String start(boolean auth, String realm) throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        int port = server.getAddress().getPort();
        String realmUrl = realm != null ? realm : "http://127.0.0.1:" + port + "/token";
        server.createContext("/token", x -> {
            seen.add("token " + x.getRequestURI().getQuery() + " "
                    + x.getRequestHeaders().getFirst("Authorization"));
            byte[] b = "{\"token\":\"T0K\"}".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        server.createContext("/v2/", x -> {
            seen.add(x.getRequestURI().getPath() + " " + x.getRequestHeaders().getFirst("Accept"));
            if (auth && !"Bearer T0K".equals(x.getRequestHeaders().getFirst("Authorization"))) {
                x.getResponseHeaders()
                        .add(
                                "WWW-Authenticate",
                                "Bearer realm=\"" + realmUrl
                                        + "\",service=\"reg\",scope=\"repository:admin/demo:pull\"");
                x.sendResponseHeaders(401, -1);
            } else if (x.getRequestURI().getPath().endsWith("/manifests/1")) {
                x.getResponseHeaders().add("Content-Type", "application/vnd.docker.distribution.manifest.v2+json");
                x.sendResponseHeaders(200, MANIFEST.length);
                x.getResponseBody().write(MANIFEST);
            } else {
                x.sendResponseHeaders(404, -1);
            }
            x.close();
        });
        server.start();
        return "127.0.0.1:" + port;
    }

    @Test
    void resolve_bearerFlow_digestAndSizeOfTheBytes() throws Exception {
        String host = start(true);
        Registry r = new Registry(Optional.empty(), Optional.of(new Registry.Credentials("ci", "pw")), true);
        Registry.Manifest m = r.resolve(ImageReference.parse(host + "/admin/demo:1"));
        assertThat(m.size()).isEqualTo(MANIFEST.length);
        assertThat(m.sha256()).isEqualTo(Registry.sha256(MANIFEST));
        assertThat(seen.get(0))
                .startsWith("/v2/admin/demo/manifests/1 application/vnd.docker.distribution.manifest.v2");
        assertThat(seen.get(1))
                .isEqualTo("token service=reg&scope=repository:admin/demo:pull&account=ci Basic Y2k6cHc=");
    }

    @Test
    void resolve_loopbackFallsBackToHttp_404IsNotFound() throws Exception {
        String host = start(false);
        Registry r = new Registry(Optional.empty(), Optional.empty(), false);
        assertThat(r.resolve(ImageReference.parse(host + "/admin/demo:1")).size())
                .isEqualTo(MANIFEST.length);
        assertThatThrownBy(() -> r.resolve(ImageReference.parse(host + "/admin/demo:2")))
                .isInstanceOfSatisfying(
                        Failure.CommandException.class,
                        e -> assertThat(e.exitCode()).isEqualTo(4))
                .hasMessageContaining("push the image first");
    }

    /**
     * Issue 11 item 11 / issue 14 item 4: a registry on 127.0.0.1 that sends its Bearer challenge to a token
     * realm on another host ("localhost") over plain http. The old registry client sent the Basic credentials
     * there; now the shared {@code TokenAuth} refuses before anything reaches the realm, which records what it got.
     */
    @Test
    void resolve_foreignPlainHttpRealm_credentialsNeverSent() throws Exception {
        HttpServer realm = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        List<String> realmGot = new CopyOnWriteArrayList<>();
        realm.createContext("/", x -> {
            realmGot.add(x.getRequestURI() + " " + x.getRequestHeaders().getFirst("Authorization"));
            byte[] b = "{\"token\":\"STOLEN\"}".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, b.length);
            x.getResponseBody().write(b);
            x.close();
        });
        realm.start();
        try {
            String host = start(true, "http://localhost:" + realm.getAddress().getPort() + "/token");
            Registry r = new Registry(Optional.empty(), Optional.of(new Registry.Credentials("ci", "pw")), true);
            assertThatThrownBy(() -> r.resolve(ImageReference.parse(host + "/admin/demo:1")))
                    .isInstanceOfSatisfying(
                            Failure.CommandException.class,
                            e -> assertThat(e.exitCode()).isEqualTo(1))
                    .hasMessageContaining("credentials withheld from token realm http://localhost:")
                    .hasMessageContaining("plain http to a host other than 127.0.0.1");
            assertThat(realmGot).as("what the foreign realm received").isEmpty();

            // without credentials there is nothing to withhold: the realm gets an anonymous request
            Registry anonymous = new Registry(Optional.empty(), Optional.empty(), true);
            assertThatThrownBy(() -> anonymous.resolve(ImageReference.parse(host + "/admin/demo:1")))
                    .isInstanceOf(Failure.CommandException.class);
            assertThat(realmGot).hasSize(1);
            assertThat(realmGot.get(0)).startsWith("/token?service=reg&scope=").endsWith(" null");
        } finally {
            realm.stop(0);
        }
    }
}
