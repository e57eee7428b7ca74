package dev.custody.tuf.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link NotaryClient} against a real notary-server 0.7 (memory storage) on 127.0.0.1, with
 * repositories made by the real {@code notary} CLI. Tests that change a repository use their own GUN.
 */
class NotaryClientTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GUN = "example.com/custody/app";

    @TempDir
    static Path dir;

    static NotaryServer server;
    static NotaryCli notary;
    static NotaryClient client;

    @BeforeAll
    static void startServerAndPublishWithNotaryCli() throws Exception {
        server = NotaryServer.startHttp(dir.resolve("server"));
        notary = NotaryCli.create(dir.resolve("trust"), server);
        notary.ok("init", GUN, "-p");
        notary.ok("list", GUN); // the cache now holds exactly what the server serves, timestamp included
        client = NotaryClient.builder(server.url()).userAgent("custody-test").build();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static void initRepository(String gun) throws Exception {
        notary.ok("init", gun, "-p");
        notary.ok("list", gun);
    }

    @Test
    void getRole_baseRolesPublishedByNotaryCli_matchNotaryCacheByteForByte() throws Exception {
        for (String role : new String[] {"root", "targets", "snapshot", "timestamp"}) {
            assertThat(client.getRole(GUN, role))
                    .as(role)
                    .isEqualTo(Files.readAllBytes(notary.metadataFile(GUN, role)));
        }
    }

    @Test
    void getRole_delegatedRole_keepsSlashInPath() throws Exception {
        String gun = "example.com/custody/delegated";
        initRepository(gun);
        Path work = dir.resolve("delegation");
        Files.createDirectories(work);
        NotaryServer.exec(
                work, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "releases.key");
        NotaryServer.exec(
                work,
                "openssl",
                "req",
                "-new",
                "-x509",
                "-key",
                "releases.key",
                "-subj",
                "/CN=releases",
                "-days",
                "30",
                "-out",
                "releases.crt");
        Files.writeString(work.resolve("artifact.txt"), "release 1\n");
        notary.ok("key", "import", work.resolve("releases.key").toString(), "--role", "targets/releases");
        notary.ok(
                "delegation",
                "add",
                gun,
                "targets/releases",
                work.resolve("releases.crt").toString(),
                "--all-paths",
                "-p");
        notary.ok("add", gun, "v1", work.resolve("artifact.txt").toString(), "--roles", "targets/releases", "-p");
        notary.ok("list", gun, "--roles", "targets/releases");

        byte[] served = client.getRole(gun, "targets/releases");

        assertThat(served).isEqualTo(Files.readAllBytes(notary.metadataFile(gun, "targets/releases")));
        assertThat(JSON.readTree(served).at("/signed/targets/v1/length").asInt())
                .isEqualTo(10);
    }

    @Test
    void getRoleByChecksum_sha256OfCachedTargets_returnsSameBytes() throws Exception {
        byte[] targets = Files.readAllBytes(notary.metadataFile(GUN, "targets"));
        String sha256 =
                HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(targets));

        assertThat(client.getRoleByChecksum(GUN, "targets", sha256)).isEqualTo(targets);
    }

    @Test
    void getRoleByChecksum_unknownChecksum_throwsNotFound() {
        assertThatThrownBy(() -> client.getRoleByChecksum(GUN, "targets", "00".repeat(32)))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.code()).isEqualTo(NotaryServerException.Code.NOT_FOUND);
                    assertThat(e.serverCodes()).containsExactly("METADATA_NOT_FOUND");
                });
    }

    @Test
    void getRootVersion_afterTargetsKeyRotation_servesEveryRootVersion() throws Exception {
        String gun = "example.com/custody/rotated";
        initRepository(gun);
        byte[] rootV1 = client.getRole(gun, "root");

        notary.ok("key", "rotate", gun, "targets");
        byte[] rootV2 = client.getRole(gun, "root");

        assertThat(JSON.readTree(rootV2).at("/signed/version").asInt()).isEqualTo(2);
        assertThat(client.getRootVersion(gun, 1)).isEqualTo(rootV1);
        assertThat(client.getRootVersion(gun, 2)).isEqualTo(rootV2);
        assertThatThrownBy(() -> client.getRootVersion(gun, 3)).isInstanceOf(NotFoundException.class);
        assertThatThrownBy(() -> client.getRootVersion(gun, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void getKey_timestamp_returnsTheKeyRootListsForTimestamp() throws Exception {
        ServerKey key = client.getKey(GUN, "timestamp");

        JsonNode root = JSON.readTree(Files.readAllBytes(notary.metadataFile(GUN, "root")))
                .get("signed");
        String timestampKeyId = root.at("/roles/timestamp/keyids/0").asText();
        JsonNode listed = root.get("keys").get(timestampKeyId);
        assertThat(key.keyType()).isEqualTo(listed.get("keytype").asText());
        assertThat(key.publicKeyBase64()).isEqualTo(listed.at("/keyval/public").asText());
        // the key ID is the SHA-256 of the canonical key object; for this shape it is simply the sorted fields
        String canonical = "{\"keytype\":\"" + key.keyType() + "\",\"keyval\":{\"private\":null,\"public\":\""
                + key.publicKeyBase64() + "\"}}";
        assertThat(HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256")
                                .digest(canonical.getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(timestampKeyId);
        assertThat(new String(key.rawJson(), StandardCharsets.UTF_8)).contains(key.publicKeyBase64());
    }

    @Test
    void getKey_timestampTwice_returnsSameKey() throws Exception {
        assertThat(client.getKey(GUN, "timestamp")).isEqualTo(client.getKey(GUN, "timestamp"));
    }

    @Test
    void getKey_snapshotOfClientSignedRepository_returnsFreshKeyEachCall() throws Exception {
        // notary-server 0.7 creates a snapshot key whenever root's snapshot key is not one it holds
        ServerKey first = client.getKey(GUN, "snapshot");
        ServerKey second = client.getKey(GUN, "snapshot");

        assertThat(first.keyType()).isEqualTo("ed25519");
        assertThat(second.publicKey()).isNotEqualTo(first.publicKey());
    }

    @Test
    void getKey_serverManagedSnapshot_returnsKeyListedInRoot() throws Exception {
        String gun = "example.com/custody/server-snapshot";
        initRepository(gun);
        notary.ok("key", "rotate", gun, "snapshot", "-r");

        ServerKey key = client.getKey(gun, "snapshot");

        JsonNode root = JSON.readTree(client.getRole(gun, "root")).get("signed");
        JsonNode listed =
                root.get("keys").get(root.at("/roles/snapshot/keyids/0").asText());
        assertThat(key.publicKeyBase64()).isEqualTo(listed.at("/keyval/public").asText());
        assertThat(client.getKey(gun, "snapshot")).isEqualTo(key);
    }

    @Test
    void getKey_targetsRole_refusedBeforeSending() {
        assertThatThrownBy(() -> client.getKey(GUN, "targets"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("snapshot and timestamp");
    }

    @Test
    void rotateKey_snapshotAndTimestamp_returnNewKeys() throws Exception {
        String gun = "example.com/custody/keys";
        initRepository(gun);
        for (String role : new String[] {"snapshot", "timestamp"}) {
            ServerKey before = client.getKey(gun, role);

            ServerKey rotated = client.rotateKey(gun, role);

            assertThat(rotated.publicKey()).as(role).isNotEqualTo(before.publicKey());
            assertThat(rotated.keyType()).as(role).isNotEmpty();
        }
    }

    @Test
    void publish_notaryMetadataAfterDelete_isAcceptedAndNotaryStillLists() throws Exception {
        String gun = "example.com/custody/republished";
        initRepository(gun);
        Map<String, byte[]> roles = new LinkedHashMap<>();
        for (String role : new String[] {"root", "targets", "snapshot"}) {
            roles.put(role, Files.readAllBytes(notary.metadataFile(gun, role)));
        }
        client.delete(gun);
        assertThatThrownBy(() -> client.getRole(gun, "root")).isInstanceOf(NotFoundException.class);

        client.publish(gun, roles);

        for (Map.Entry<String, byte[]> e : roles.entrySet()) {
            assertThat(client.getRole(gun, e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
        }
        JsonNode timestamp = JSON.readTree(client.getRole(gun, "timestamp"));
        assertThat(timestamp.at("/signed/meta/snapshot/length").asInt()).isEqualTo(roles.get("snapshot").length);
        assertThat(notary.ok("list", gun)).contains("No targets present in this repository.");
    }

    @Test
    void publish_targetsWithBrokenSignature_throwsMetadataRejectedWithServerMessage() throws Exception {
        ObjectNode targets = (ObjectNode) JSON.readTree(Files.readAllBytes(notary.metadataFile(GUN, "targets")));
        ObjectNode signed = (ObjectNode) targets.get("signed");
        signed.put("version", signed.get("version").asInt() + 1); // the signature no longer matches
        byte[] tampered = JSON.writeValueAsBytes(targets);

        assertThatThrownBy(() -> client.publish(GUN, Map.of("targets", tampered)))
                .isInstanceOfSatisfying(MetadataRejectedException.class, e -> {
                    assertThat(e.code()).isEqualTo(NotaryServerException.Code.METADATA_INVALID);
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.serverCodes()).containsExactly("INVALID_UPDATE");
                    assertThat(e.validationError()).contains("ErrBadTargets");
                    assertThat(e.validationMessage()).contains("valid signatures did not meet threshold for targets");
                    assertThat(e.serverBody())
                            .isEqualTo("{\"errors\":[{\"code\":\"INVALID_UPDATE\","
                                    + "\"message\":\"Update sent by the client is invalid.\",\"detail\":{\"Name\":"
                                    + "\"ErrBadTargets\",\"Error\":{\"Msg\":\"valid signatures did not meet threshold for "
                                    + "targets\"}}}]}\n");
                    assertThat(e.getMessage())
                            .startsWith("POST " + server.url() + "/v2/" + GUN + "/_trust/tuf/: ")
                            .endsWith(e.serverBody().strip());
                });
        assertThat(client.getRole(GUN, "targets")).isEqualTo(Files.readAllBytes(notary.metadataFile(GUN, "targets")));
    }

    @Test
    void publish_currentVersionsAgain_throwsConflict() throws Exception {
        Map<String, byte[]> roles = new LinkedHashMap<>();
        for (String role : new String[] {"root", "targets", "snapshot"}) {
            roles.put(role, Files.readAllBytes(notary.metadataFile(GUN, role)));
        }

        assertThatThrownBy(() -> client.publish(GUN, roles)).isInstanceOfSatisfying(ConflictException.class, e -> {
            assertThat(e.code()).isEqualTo(NotaryServerException.Code.CONFLICT);
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.serverCodes()).containsExactly("VERSION");
            assertThat(e.getMessage()).contains("A newer version of metadata is already available.");
        });
    }

    @Test
    void publish_malformedJson_throwsMetadataRejected() {
        byte[] junk = "{not json".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> client.publish(GUN, Map.of("targets", junk)))
                .isInstanceOfSatisfying(MetadataRejectedException.class, e -> {
                    assertThat(e.serverCodes()).containsExactly("MALFORMED_JSON");
                    assertThat(e.validationError()).isEmpty();
                    assertThat(e.getMessage()).contains("JSON sent by the client could not be parsed by the server");
                });
    }

    @Test
    void publish_delegationUnknownToServer_throwsMetadataRejected() throws Exception {
        byte[] targets = Files.readAllBytes(notary.metadataFile(GUN, "targets"));

        assertThatThrownBy(() -> client.publish(GUN, Map.of("targets/nobody", targets)))
                .isInstanceOfSatisfying(
                        MetadataRejectedException.class,
                        e -> assertThat(e.validationMessage())
                                .contains("tuf: invalid role targets/nobody. delegation does not exist"));
    }

    @Test
    void delete_publishedRepository_thenGetRoleThrowsNotFound() throws Exception {
        String gun = "example.com/custody/deleted";
        initRepository(gun);
        assertThat(client.getRole(gun, "timestamp")).isNotEmpty();

        client.delete(gun);

        for (String role : new String[] {"root", "targets", "snapshot", "timestamp"}) {
            assertThatThrownBy(() -> client.getRole(gun, role)).as(role).isInstanceOf(NotFoundException.class);
        }
        client.delete(gun); // deleting again is not an error for notary-server
    }

    @Test
    void getRole_unknownGun_throwsNotFoundWithServerBody() {
        assertThatThrownBy(() -> client.getRole("example.com/never/published", "root"))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.serverBody())
                            .isEqualTo("{\"errors\":[{\"code\":\"METADATA_NOT_FOUND\",\"message\":"
                                    + "\"You have requested metadata that does not exist.\",\"detail\":{}}]}\n");
                    assertThat(e.getMessage())
                            .isEqualTo("GET " + server.url()
                                    + "/v2/example.com/never/published/_trust/tuf/root.json: not found on the server "
                                    + "(HTTP 404): " + e.serverBody().strip());
                });
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "..",
                "a/../b",
                "a/./b",
                "a//b",
                "/a",
                "a/",
                "a b",
                "a?x=1",
                "a#f",
                "a%2e%2e/b",
                "a/_trust/tuf/b",
                ".hidden/x",
                "-x/y",
                "a\\b",
                "a\nb",
                "ä/b"
            })
    void getRole_invalidGun_refusedBeforeSending(String gun) {
        assertThatThrownBy(() -> client.getRole(gun, "root")).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "Root",
                "foo",
                "root.json",
                "targets/",
                "targets//a",
                "targets/../root",
                "targets/a b",
                "targets/A",
                "targets/a.b",
                "targets%2Fa",
                "snapshot/x"
            })
    void getRole_invalidRole_refusedBeforeSending(String role) {
        assertThatThrownBy(() -> client.getRole(GUN, role)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void getRole_longGun_refusedBeforeSending() {
        assertThatThrownBy(() -> client.getRole("a/" + "b".repeat(254), "root"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void getRole_smallMetadataOverLimit_refusedOnContentLength() throws Exception {
        NotaryClient small =
                NotaryClient.builder(server.url()).maxResponseBytes(100).build();
        long timestampLength = Files.readAllBytes(notary.metadataFile(GUN, "timestamp"))
                .length; // < 2 KiB: notary-server sends Content-Length

        assertThatThrownBy(() -> small.getRole(GUN, "timestamp"))
                .isInstanceOfSatisfying(ResponseTooLargeException.class, e -> {
                    assertThat(e.code()).isEqualTo(NotaryServerException.Code.RESPONSE_TOO_LARGE);
                    assertThat(e.limit()).isEqualTo(100);
                    assertThat(e.declaredLength()).hasValue(timestampLength);
                    assertThat(e.receivedBytes()).isZero();
                });
        assertThat(small.healthy()).isTrue(); // the client stays usable after the refusal
    }

    @Test
    void getRole_largeMetadataOverLimit_refusedWhileCountingChunkedBody() throws Exception {
        NotaryClient small =
                NotaryClient.builder(server.url()).maxResponseBytes(1000).build();
        // root is over 2 KiB: Go's net/http then sends it chunked, without Content-Length
        assertThat(Files.readAllBytes(notary.metadataFile(GUN, "root")).length).isGreaterThan(2048);

        assertThatThrownBy(() -> small.getRole(GUN, "root"))
                .isInstanceOfSatisfying(ResponseTooLargeException.class, e -> {
                    assertThat(e.declaredLength()).isEmpty();
                    assertThat(e.receivedBytes()).isGreaterThan(1000);
                });
    }

    @Test
    void getRole_closedPort_throwsServerUnreachableQuickly() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        NotaryClient nowhere = NotaryClient.builder("http://127.0.0.1:" + port).build();

        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            assertThatThrownBy(() -> nowhere.getRole(GUN, "root"))
                    .isInstanceOfSatisfying(ServerUnreachableException.class, e -> {
                        assertThat(e.code()).isEqualTo(NotaryServerException.Code.SERVER_UNREACHABLE);
                        assertThat(e.reason()).isEqualTo(ServerUnreachableException.Reason.CONNECTION_REFUSED);
                        assertThat(e.status()).isZero();
                    });
            assertThat(nowhere.healthy()).isFalse();
        });
    }

    @Test
    void healthy_runningServer_returnsTrue() {
        assertThat(client.healthy()).isTrue();
    }

    @Test
    void builder_baseUrlWithTrailingSlashAndPrefix_isNormalised() throws Exception {
        assertThat(NotaryClient.builder("http://127.0.0.1:4443/").build().baseUrl())
                .hasToString("http://127.0.0.1:4443");
        assertThat(NotaryClient.builder("https://h.example/notary//").build().baseUrl())
                .hasToString("https://h.example/notary");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://h/", "h:4443", "http://user:pw@h/", "http://h/?q=1", "http://h/#f", "/relative"})
    void builder_unusableBaseUrl_refused(String url) {
        assertThatThrownBy(() -> NotaryClient.builder(url)).isInstanceOf(IllegalArgumentException.class);
    }
}
