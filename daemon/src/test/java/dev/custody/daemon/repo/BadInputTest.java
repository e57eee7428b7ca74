package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.repo.testing.CorruptingProxy;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.MetadataInvalidException;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.ServerUnreachableException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each bad input gets its own error, the trusted copy stays as it was, and the daemon keeps serving. */
@Requires(Capability.LINUX)
class BadInputTest {
    private static final Duration LIMIT = Duration.ofMinutes(2);

    @TempDir
    Path dir;

    @Test
    void list_unreachableServer_serverUnreachable() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, "", "  - name: down\n    url: http://127.0.0.1:1");
                    CustodyClient c = t.client()) {
                String gun = RepoTestbed.newGun("down");
                assertThatThrownBy(() -> c.call("repo.list", params("gun", gun, "server", "down")))
                        .isInstanceOf(ServerUnreachableException.class)
                        .hasMessageContaining("down");
                assertThatThrownBy(() -> c.call("repo.init", params("gun", gun, "server", "down")))
                        .isInstanceOf(ServerUnreachableException.class);
                assertThat(c.ping().pong()).isTrue();
            }
        });
    }

    @Test
    void list_unknownGun_notFound() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, "");
                    CustodyClient c = t.client()) {
                String gun = RepoTestbed.newGun("nobody");
                assertThatThrownBy(() -> c.call("repo.list", params("gun", gun)))
                        .isInstanceOf(NotFoundException.class)
                        .hasMessageContaining(gun);
                assertThatThrownBy(() -> c.call("repo.add", target(gun, "x", "x")))
                        .isInstanceOf(NotFoundException.class);
                assertThatThrownBy(() -> c.call("repo.publish", params("gun", gun)))
                        .isInstanceOf(NotFoundException.class);
                assertThatThrownBy(() ->
                                c.call("repo.add", params("gun", gun, "target", "x", "length", 1L, "sha256", "zz")))
                        .isInstanceOf(BadRequestException.class)
                        .hasMessageContaining("sha256");
                assertThatThrownBy(() -> c.call("repo.list", params("gun", "../etc")))
                        .isInstanceOf(BadRequestException.class);
                assertThatThrownBy(() -> c.call("key.rotate", params("gun", gun, "role", "timestamp")))
                        .isInstanceOf(BadRequestException.class)
                        .hasMessageContaining("serverManaged");
            }
        });
    }

    @Test
    void list_serverReturnsBadMetadata_metadataInvalidAndTrustedCopyUnchanged() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (CorruptingProxy proxy =
                            new CorruptingProxy(RepoTestbed.server().url());
                    RepoTestbed t = RepoTestbed.start(dir, "", "  - name: proxy\n    url: " + proxy.url());
                    CustodyClient c = t.client()) {
                String gun = RepoTestbed.newGun("bad");
                c.call("repo.init", params("gun", gun));
                c.call("repo.add", target(gun, "v1", "one").put("publish", true));
                assertThat(c.call("repo.list", params("gun", gun, "server", "proxy"))
                                .get("targets"))
                        .hasSize(1);
                c.call("repo.add", target(gun, "v2", "two").put("publish", true));
                Path ts = t.trustedMetadata(gun, "timestamp");
                byte[] before = Files.readAllBytes(ts);

                proxy.corrupt.set(true);
                assertThatThrownBy(() -> c.call("repo.list", params("gun", gun, "server", "proxy")))
                        .isInstanceOf(MetadataInvalidException.class)
                        .hasMessageContaining("timestamp");
                assertThat(Files.readAllBytes(ts)).as("trusted copy unchanged").isEqualTo(before);
                proxy.corrupt.set(false);
                assertThat(c.call("repo.list", params("gun", gun, "server", "proxy"))
                                .get("targets"))
                        .hasSize(2);
            }
        });
    }
}
