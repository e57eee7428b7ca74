package dev.custody.testhsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NotaryServerTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private static int health(String url, SSLContext ctx) throws Exception {
        HttpURLConnection c = (HttpURLConnection)
                URI.create(url + "/_notary_server/health").toURL().openConnection();
        if (ctx != null) {
            ((HttpsURLConnection) c).setSSLSocketFactory(ctx.getSocketFactory());
        }
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        try {
            return c.getResponseCode();
        } finally {
            c.disconnect();
        }
    }

    @Test
    void startHttp_servesHealthAndStopsOnClose() {
        assertTimeoutPreemptively(LIMIT, () -> {
            NotaryServer server = NotaryServer.startHttp(tmp);
            try {
                assertThat(server.isTls()).isFalse();
                assertThat(server.url()).isEqualTo("http://127.0.0.1:" + server.port());
                assertThat(health(server.url(), null)).isEqualTo(200);
                assertThatThrownBy(server::caCert).isInstanceOf(IllegalStateException.class);
            } finally {
                server.close();
            }
            assertThat(server.isAlive()).isFalse();
            assertThat(Files.readString(server.log())).isNotEmpty();
        });
    }

    @Test
    void startTls_servesHealthToClientsTrustingTheGeneratedCa() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (NotaryServer server = NotaryServer.startTls(tmp)) {
                assertThat(server.url()).startsWith("https://127.0.0.1:");
                assertThat(server.hostPort()).isEqualTo("127.0.0.1:" + server.port());
                assertThat(Files.readString(server.caCert())).contains("BEGIN CERTIFICATE");
                assertThat(health(server.url(), NotaryServer.sslContext(server.caCert())))
                        .isEqualTo(200);
                // the JDK's default trust store does not know the throw-away CA: it really is TLS
                assertThatThrownBy(() -> health(server.url(), SSLContext.getDefault()))
                        .isInstanceOf(SSLHandshakeException.class);
                assertThat(Files.exists(tmp.resolve("ca.key"))).isTrue();
            }
        });
    }

    @Test
    void twoServers_runSideBySide() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (NotaryServer a = NotaryServer.startHttp(tmp.resolve("a"));
                    NotaryServer b = NotaryServer.startHttp(tmp.resolve("b"))) {
                assertThat(a.port()).isNotEqualTo(b.port());
                assertThat(health(a.url(), null)).isEqualTo(200);
                assertThat(health(b.url(), null)).isEqualTo(200);
            }
        });
    }
}
