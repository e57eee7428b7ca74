package dev.custody.tuf.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link NotaryClient} over TLS to a real notary-server whose certificate a throw-away CA signed. */
class NotaryClientTlsTest {
    private static final String GUN = "example.com/custody/tls";

    @TempDir
    static Path dir;

    static NotaryServer server;
    static NotaryCli notary;

    @BeforeAll
    static void startTlsServerAndPublishWithNotaryCli() throws Exception {
        server = NotaryServer.startTls(dir.resolve("server"));
        notary = NotaryCli.create(dir.resolve("trust"), server);
        notary.ok("init", GUN, "-p");
        notary.ok("list", GUN);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void getRole_customCaFile_matchesNotaryCache() throws Exception {
        NotaryClient client =
                NotaryClient.builder(server.url()).caFile(server.caCert()).build();

        for (String role : new String[] {"root", "targets", "snapshot", "timestamp"}) {
            assertThat(client.getRole(GUN, role))
                    .as(role)
                    .isEqualTo(Files.readAllBytes(notary.metadataFile(GUN, role)));
        }
        assertThat(client.getKey(GUN, "timestamp").publicKey()).isNotEmpty();
        assertThat(client.healthy()).isTrue();
    }

    @Test
    void getRole_unknownCa_throwsServerUnreachableTlsFailure() throws Exception {
        Path other = dir.resolve("other-ca");
        Files.createDirectories(other);
        NotaryServer.exec(
                other,
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                "ca.key",
                "-subj",
                "/CN=someone-else",
                "-days",
                "1",
                "-out",
                "ca.crt");
        NotaryClient client = NotaryClient.builder(server.url())
                .caFile(other.resolve("ca.crt"))
                .build();

        assertThatThrownBy(() -> client.getRole(GUN, "root"))
                .isInstanceOfSatisfying(ServerUnreachableException.class, e -> {
                    assertThat(e.code()).isEqualTo(NotaryServerException.Code.SERVER_UNREACHABLE);
                    assertThat(e.reason()).isEqualTo(ServerUnreachableException.Reason.TLS_FAILURE);
                });
        assertThat(client.healthy()).isFalse();
    }

    @Test
    void getRole_jdkTrustStoreOnly_throwsServerUnreachableTlsFailure() throws Exception {
        NotaryClient client = NotaryClient.builder(server.url()).build();

        assertThatThrownBy(() -> client.getRole(GUN, "root"))
                .isInstanceOfSatisfying(
                        ServerUnreachableException.class,
                        e -> assertThat(e.reason()).isEqualTo(ServerUnreachableException.Reason.TLS_FAILURE));
    }

    @Test
    void build_caFileForPlainHttp_refused() {
        assertThatThrownBy(() -> NotaryClient.builder("http://127.0.0.1:1")
                        .caFile(server.caCert())
                        .build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void build_caFileWithoutCertificate_throwsIOException() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "not a certificate\n");

        assertThatThrownBy(
                        () -> NotaryClient.builder(server.url()).caFile(empty).build())
                .isInstanceOf(IOException.class);
    }
}
