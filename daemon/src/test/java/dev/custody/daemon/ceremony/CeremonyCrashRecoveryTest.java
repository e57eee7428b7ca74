package dev.custody.daemon.ceremony;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.repo.testing.ChildDaemon;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryList;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.server.NotaryClient;
import dev.custody.tuf.update.FileTrustedMetaStore;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ceremony.publish} of a signed rotate-targets bundle with custodyd as a child JVM, halted
 * ({@code Runtime.halt}, like kill -9) right after each journaled step, then restarted: the operation
 * completes (or, halted before anything was signed, rolls back and is published again), no journaled
 * operation stays pending, the server has exactly one new root and targets version, the daemon's trusted
 * root is byte for byte the server's, publishing the same bundle again changes nothing, and the real
 * notary CLI holding root v1 follows.
 */
@Requires(Capability.LINUX)
class CeremonyCrashRecoveryTest {
    private static final Duration LIMIT = Duration.ofMinutes(4);

    @TempDir
    Path dir;

    private static byte[] serverRole(String gun, String role) throws Exception {
        return NotaryClient.builder(RepoTestbed.server().url()).build().getRole(gun, role);
    }

    private static int version(String gun, String role) throws Exception {
        return Signed.parse(serverRole(gun, role), role).version();
    }

    private byte[] trustedRoot(String gun) throws Exception {
        Path tuf = dir.resolve("state/repos")
                .resolve(URLEncoder.encode(gun, StandardCharsets.UTF_8))
                .resolve("tuf");
        return new FileTrustedMetaStore(tuf).find(gun, "root").orElseThrow();
    }

    @ParameterizedTest(name = "ceremony.publish crashed at {0}")
    @ValueSource(strings = {"planned", "signed", "posting", "after-post", "posted", "committed"})
    void ceremonyPublish_killedAtStep_publishedExactlyOnce(String step) {
        assertTimeoutPreemptively(LIMIT, () -> {
            String gun = RepoTestbed.newGun("cercrash");
            try (ChildDaemon d = new ChildDaemon(dir, "")) {
                d.start(null);
                String bundle;
                try (CustodyClient c = d.client()) {
                    c.call("repo.init", params("gun", gun));
                    c.call("repo.add", target(gun, "v1", "one").put("publish", true));
                    // this daemon holds the root key too: it prepares, signs and publishes the same bundle
                    JsonNode prepared = c.call("ceremony.prepare", params("gun", gun, "operation", "rotate-targets"));
                    JsonNode signed = c.call(
                            "ceremony.sign",
                            params("bundle", prepared.get("bundle").asText()));
                    assertThat(signed.get("missing")).isEmpty();
                    bundle = signed.get("bundle").asText();
                }
                NotaryCli cached = NotaryCli.create(dir.resolve("cached"), RepoTestbed.server());
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");
                d.stop();

                d.start("ceremony-publish:" + step);
                try (CustodyClient c = d.client()) {
                    assertThatThrownBy(() -> c.call("ceremony.publish", params("bundle", bundle)))
                            .isNotNull();
                }
                assertThat(d.awaitExit()).isEqualTo(137);

                d.start(null);
                try (CustodyClient c = d.client()) {
                    assertThat(c.status().pendingOperations())
                            .as("settled at start-up")
                            .isEmpty();
                    if (step.equals("planned")) {
                        assertThat(version(gun, "root"))
                                .as("rolled back: nothing was sent")
                                .isEqualTo(1);
                        JsonNode again = c.call("ceremony.publish", params("bundle", bundle));
                        assertThat(again.get("roles").get("root").asInt()).isEqualTo(2);
                    } else {
                        assertThat(version(gun, "root"))
                                .as("completed at start-up")
                                .isEqualTo(2);
                    }
                    assertThat(trustedRoot(gun))
                            .as("trusted root = the server's")
                            .isEqualTo(serverRole(gun, "root"));
                    // the same bundle again: already there, nothing sent
                    JsonNode repeat = c.call("ceremony.publish", params("bundle", bundle));
                    assertThat(repeat.get("alreadyPublished").asBoolean()).isTrue();
                    assertThat(repeat.get("roles").size()).isZero();
                    assertThat(repeat.get("rootVersion").asInt()).isEqualTo(2);
                    assertThat(version(gun, "root"))
                            .as("exactly one new root version")
                            .isEqualTo(2);
                    assertThat(version(gun, "targets"))
                            .as("exactly one new targets version")
                            .isEqualTo(2);
                    // the new (online) targets key signs the next publish
                    c.call("repo.add", target(gun, "v2", "two").put("publish", true));
                    assertThat(c.status().pendingOperations()).isEmpty();
                }
                assertThat(version(gun, "targets")).isEqualTo(3);
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2");
            }
        });
    }
}
