package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.config.ServerConfig;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.NotFoundException;
import dev.custody.testhsm.NotaryServer;
import dev.custody.testhsm.OpenSsl;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code params.server} by name or URL, and {@code params.serverCaSha256}: a URL selects the configured server
 * with the same normalized URL, an unknown URL is refused (NOT_FOUND) before anything is sent anywhere, and a
 * CA other than the one custodyd uses for the server is refused.
 */
@Requires(Capability.LINUX)
class ServerSelectionTest {
    private static final Duration LIMIT = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    @Test
    void normalize_equalUrlVariants_oneForm() {
        assertThat(ServerConfig.normalize("HTTPS://Notary.Example.COM/")).contains("https://notary.example.com:443");
        assertThat(ServerConfig.normalize("https://notary.example.com:443")).contains("https://notary.example.com:443");
        assertThat(ServerConfig.normalize("http://notary.example.com")).contains("http://notary.example.com:80");
        assertThat(ServerConfig.normalize("https://notary.example.com:4443/v//"))
                .contains("https://notary.example.com:4443/v");
        assertThat(ServerConfig.normalize("https://127.0.0.1:4443"))
                .isNotEqualTo(ServerConfig.normalize("https://localhost:4443"));
        assertThat(ServerConfig.normalize("ftp://notary.example.com")).isEmpty();
        assertThat(ServerConfig.normalize("https://user:pw@notary.example.com")).isEmpty();
        assertThat(ServerConfig.normalize("https://notary.example.com/?x=1")).isEmpty();
        assertThat(ServerConfig.normalize("notary.example.com:4443")).isEmpty();
    }

    @Test
    void resolve_byNameOrEqualUrl_unknownRefusedNamingTheConfiguredOnes() throws Exception {
        NotaryServers s = new NotaryServers(List.of(
                new ServerConfig("default", URI.create("https://notary.example.com"), null, null),
                new ServerConfig("staging", URI.create("http://Staging.example.com:4443/"), null, null)));
        assertThat(s.resolve(null).name()).isEqualTo("default");
        assertThat(s.resolve("staging").name()).isEqualTo("staging");
        assertThat(s.resolve("https://NOTARY.example.com:443/").name()).isEqualTo("default");
        assertThat(s.resolve("https://notary.example.com").name()).isEqualTo("default");
        assertThat(s.resolve("http://staging.example.com:4443").name()).isEqualTo("staging");
        assertThatThrownBy(() -> s.resolve("https://staging.example.com:4443"))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.kind()).isEqualTo("server");
                    assertThat(e.name()).isEqualTo("https://staging.example.com:4443");
                })
                .hasMessage("custodyd has no Notary server with URL https://staging.example.com:4443 (it has default ="
                        + " https://notary.example.com:443, staging = http://staging.example.com:4443); to use it, add it to"
                        + " custodyd's config under 'servers' (name, url: https://staging.example.com:4443, caFile) and restart"
                        + " custodyd");
        assertThatThrownBy(() -> s.resolve("prod"))
                .isInstanceOf(NotFoundException.class)
                .hasMessageStartingWith("custodyd has no Notary server named 'prod' (it has default =");
        assertThatThrownBy(() -> s.resolve("ftp://notary.example.com"))
                .isInstanceOf(BadRequestException.class)
                .hasMessageContaining("neither a configured server name nor an http(s) URL");
    }

    @Test
    void caCheck_sameCertificates_ok_otherOrNone_refused() throws Exception {
        Path ca = makeCa(dir, "ca");
        Path other = makeCa(dir, "other");
        String caSha = NotaryServers.fingerprints(ca).iterator().next();
        String otherSha = NotaryServers.fingerprints(other).iterator().next();
        NotaryServers s = new NotaryServers(List.of(
                new ServerConfig("tls", URI.create("https://127.0.0.1:4443"), ca, null),
                new ServerConfig("system", URI.create("https://notary.example.com"), null, null),
                new ServerConfig("plain", URI.create("http://127.0.0.1:4080"), null, null)));
        assertThat(s.get("https://127.0.0.1:4443", List.of(caSha)).name()).isEqualTo("tls");
        // as openssl x509 -fingerprint -sha256 prints it
        String colons = caSha.toUpperCase().replaceAll("(..)(?!$)", "$1:");
        assertThat(s.get("tls", List.of(colons)).name()).isEqualTo("tls");
        assertThatThrownBy(() -> s.get("tls", List.of(otherSha)))
                .isInstanceOf(BadRequestException.class)
                .hasMessage("custodyd trusts a different CA for tls: " + ca);
        assertThatThrownBy(() -> s.get("tls", List.of(caSha, otherSha)))
                .isInstanceOf(BadRequestException.class)
                .hasMessage("custodyd trusts a different CA for tls: " + ca);
        assertThatThrownBy(() -> s.get("system", List.of(caSha)))
                .isInstanceOf(BadRequestException.class)
                .hasMessage(
                        "custodyd trusts a different CA for system: the system's trust store (no caFile configured)");
        assertThatThrownBy(() -> s.get("plain", List.of(caSha)))
                .isInstanceOf(BadRequestException.class)
                .hasMessage(
                        "custodyd trusts a different CA for plain: none, it talks to http://127.0.0.1:4080 without TLS");
        assertThatThrownBy(() -> s.get("tls", List.of("abc")))
                .isInstanceOf(BadRequestException.class)
                .hasMessageContaining("is not a SHA-256 fingerprint");
    }

    @Test
    void socket_urlSelectsTheConfiguredTlsServer_unknownUrlAndOtherCaRefused_nothingChanged() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (NotaryServer tls = NotaryServer.startTls(dir.resolve("tls-server"))) {
                Path other = makeCa(dir, "other");
                String caSha =
                        NotaryServers.fingerprints(tls.caCert()).iterator().next();
                String otherSha = NotaryServers.fingerprints(other).iterator().next();
                String url = "https://127.0.0.1:" + tls.port();
                try (RepoTestbed t = RepoTestbed.start(
                                dir, "", "  - name: tls\n    url: " + url + "\n    caFile: " + tls.caCert());
                        CustodyClient c = t.client()) {
                    String gun = RepoTestbed.newGun("url");
                    // a URL variant with the right CA reaches the TLS server: the repository is made there
                    c.call(
                            "repo.init",
                            params("gun", gun, "server", "HTTPS://127.0.0.1:" + tls.port() + "/", "publish", true)
                                    .set("serverCaSha256", params().arrayNode().add(caSha)));
                    c.call(
                            "repo.add",
                            target(gun, "v1", "one").put("publish", true).put("server", url));
                    assertThat(c.call("repo.list", params("gun", gun, "server", "tls"))
                                    .get("targets"))
                            .hasSize(1);
                    // the default (plain HTTP) server does not have it
                    assertThatThrownBy(() -> c.call("repo.list", params("gun", gun)))
                            .isInstanceOf(NotFoundException.class);
                    // an unknown URL: NOT_FOUND, naming what is configured
                    assertThatThrownBy(() -> c.call(
                                    "repo.list", params("gun", gun, "server", "https://localhost:" + tls.port())))
                            .isInstanceOfSatisfying(
                                    NotFoundException.class,
                                    e -> assertThat(e.kind()).isEqualTo("server"))
                            .hasMessageStartingWith("custodyd has no Notary server with URL https://localhost:"
                                    + tls.port() + " (it has default = http://127.0.0.1:")
                            .hasMessageContaining(", tls = " + url + ");");
                    // another CA: refused before any change is staged
                    assertThatThrownBy(() -> c.call(
                                    "repo.add",
                                    target(gun, "v2", "two")
                                            .put("server", url)
                                            .set(
                                                    "serverCaSha256",
                                                    params().arrayNode().add(otherSha))))
                            .isInstanceOf(BadRequestException.class)
                            .hasMessage("custodyd trusts a different CA for tls: "
                                    + tls.caCert().toAbsolutePath());
                    assertThat(c.call("repo.status", params("gun", gun)).get("changes"))
                            .isEmpty();
                    assertThat(c.ping().pong()).isTrue();
                }
            }
        });
    }

    /** A self-signed CA certificate made with openssl in {@code dir}. */
    static Path makeCa(Path dir, String name) throws IOException, InterruptedException {
        Path key = dir.resolve(name + ".key");
        Path cert = dir.resolve(name + ".crt");
        OpenSsl.selfSignedP256(key, cert, "/CN=" + name + " CA", 2);
        assertThat(Files.readString(cert)).startsWith("-----BEGIN CERTIFICATE-----");
        return cert;
    }
}
