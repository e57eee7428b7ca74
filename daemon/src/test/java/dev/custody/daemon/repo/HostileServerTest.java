package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.MetadataInvalidException;
import dev.custody.protocol.ServerUnreachableException;
import dev.custody.testhsm.HostileNotary;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.server.NotaryClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * custodyd against a lying Notary server ({@link HostileNotary} in front of the real notary-server, configured
 * as server {@code hostile} with a 2 s request timeout and a 4 s deadline per operation): replayed metadata is
 * refused, stalls and slow answers end at the timeout or the deadline, endless and oversized bodies are cut at
 * the size limit; each time the trusted copy stays as it was, and offline requests on the same GUN
 * ({@code repo.status}, staging) answer at once while a server call hangs.
 */
@Requires(Capability.LINUX)
class HostileServerTest {
    private static final Duration LIMIT = Duration.ofMinutes(2);
    /** What an offline request may take while a server call on the same GUN hangs. */
    private static final Duration OFFLINE = Duration.ofMillis(1500);

    @TempDir
    Path dir;

    private static String hostile(HostileNotary p, String deadline) {
        return "  - name: hostile\n    url: " + p.url() + "\n    timeout: 2s\n    deadline: " + deadline;
    }

    /** What a test does against the proxy: {@code p} the proxy, {@code t} the daemon, {@code gun} published and listed. */
    private interface HostileRun {
        void run(HostileNotary p, RepoTestbed t, CustodyClient c, String gun) throws Exception;
    }

    /**
     * Runs {@code r} against a fresh {@link HostileNotary} in front of the real server and a daemon that has it
     * as server {@code hostile} (2 s timeout, {@code deadline} per operation), with a GUN {@link
     * #publishedAndListed}.
     */
    private void withHostile(String deadline, HostileRun r) throws Exception {
        try (HostileNotary p = HostileNotary.start(RepoTestbed.server().url());
                RepoTestbed t = RepoTestbed.start(dir, "", hostile(p, deadline));
                CustodyClient c = t.client()) {
            r.run(p, t, c, publishedAndListed(c));
        }
    }

    /** {@code repo.list} of {@code gun} through the proxy. */
    private static JsonNode listHostile(CustodyClient c, String gun) throws Exception {
        return c.call("repo.list", params("gun", gun, "server", "hostile"));
    }

    /** Once the proxy behaves again, the list through it works and shows {@code targets} targets. */
    private static void listsAgainAfterReset(HostileNotary p, CustodyClient c, String gun, int targets)
            throws Exception {
        p.reset();
        assertThat(listHostile(c, gun).get("targets")).hasSize(targets);
    }

    /**
     * With {@code fault} set on the proxy's timestamp answers, a list through it is refused as larger than the
     * limit and the trusted timestamp stays as it was; once the proxy behaves, the list works again.
     */
    private static void assertTimestampCutAtTheSizeLimit(
            HostileNotary p, RepoTestbed t, CustodyClient c, String gun, Runnable fault) throws Exception {
        byte[] trusted = Files.readAllBytes(trustedTimestamp(t, gun));
        fault.run();
        assertThatThrownBy(() -> listHostile(c, gun))
                .isInstanceOf(MetadataInvalidException.class)
                .hasMessageContaining("timestamp")
                .hasMessageContaining("larger than the limit");
        assertThat(Files.readAllBytes(trustedTimestamp(t, gun))).isEqualTo(trusted);
        listsAgainAfterReset(p, c, gun, 1);
    }

    /** A GUN with v1 published through the real server and listed once through the proxy (which remembers it). */
    private static String publishedAndListed(CustodyClient c) throws Exception {
        String gun = RepoTestbed.newGun("hostile");
        c.call("repo.init", params("gun", gun));
        c.call("repo.add", target(gun, "v1", "one").put("publish", true));
        assertThat(listHostile(c, gun).get("targets")).hasSize(1);
        return gun;
    }

    private static Path trustedTimestamp(RepoTestbed t, String gun) {
        return t.trustedMetadata(gun, "timestamp");
    }

    private static int serverVersion(String gun, String role) throws Exception {
        NotaryClient n = NotaryClient.builder(RepoTestbed.server().url()).build();
        return Signed.parse(n.getRole(gun, role), role).version();
    }

    private static CompletableFuture<JsonNode> async(
            RepoTestbed t, String method, com.fasterxml.jackson.databind.node.ObjectNode p) {
        return CompletableFuture.supplyAsync(() -> {
            try (CustodyClient c = t.client()) {
                return c.call(method, p);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
    }

    private static Throwable failure(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get();
            throw new AssertionError("expected a failure, got " + f.join());
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /** Runs {@code r}, asserting it took less than {@code max}. */
    private static <T> T quickly(Duration max, java.util.concurrent.Callable<T> r) throws Exception {
        long t0 = System.nanoTime();
        T out = r.call();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("took").isLessThan(max);
        return out;
    }

    @Test
    void list_serverReplaysOlderMetadata_refusedAsRollbackAndTrustedCopyKept() {
        assertTimeoutPreemptively(LIMIT, () -> {
            withHostile("4s", (p, t, c, gun) -> {
                p.replayFromNow();
                c.call("repo.add", target(gun, "v2", "two").put("publish", true));
                byte[] trusted = Files.readAllBytes(trustedTimestamp(t, gun));

                assertThatThrownBy(() -> listHostile(c, gun))
                        .isInstanceOf(MetadataInvalidException.class)
                        .hasMessageContaining("timestamp")
                        .hasMessageContaining("trusted copy was left unchanged");
                assertThat(p.log()).anyMatch(l -> l.endsWith("timestamp.json → REPLAY"));
                assertThat(Files.readAllBytes(trustedTimestamp(t, gun))).isEqualTo(trusted);

                listsAgainAfterReset(p, c, gun, 2);
            });
        });
    }

    @Test
    void list_serverStalls_failsAtTheTimeoutWhileOfflineRequestsAnswerAtOnce() {
        assertTimeoutPreemptively(LIMIT, () -> {
            withHostile("4s", (p, t, c, gun) -> {
                c.call("repo.add", target(gun, "v2", "two"));
                p.stall("GET", ".*/timestamp\\.json");
                long t0 = System.nanoTime();
                CompletableFuture<JsonNode> list = async(t, "repo.list", params("gun", gun, "server", "hostile"));
                assertThat(p.awaitStalled(1, Duration.ofSeconds(10))).isTrue();

                // property 10: a hanging server call holds nothing offline reads and staging need
                JsonNode status = quickly(OFFLINE, () -> c.call("repo.status", params("gun", gun)));
                assertThat(status.get("changes")).hasSize(1);
                JsonNode staged = quickly(OFFLINE, () -> c.call("repo.add", target(gun, "v3", "three")));
                assertThat(staged.get("staged").asInt()).isEqualTo(2);

                assertThat(failure(list))
                        .isInstanceOf(ServerUnreachableException.class)
                        .hasMessageContaining("hostile");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
                listsAgainAfterReset(p, c, gun, 1);
            });
        });
    }

    @Test
    void list_serverStallsMidBody_failsAtTheTimeoutAndTrustedCopyKept() {
        assertTimeoutPreemptively(LIMIT, () -> {
            withHostile("4s", (p, t, c, gun) -> {
                byte[] trusted = Files.readAllBytes(trustedTimestamp(t, gun));
                p.stallMidBody("GET", ".*/timestamp\\.json");
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> listHostile(c, gun))
                        .isInstanceOf(ServerUnreachableException.class)
                        .hasMessageContaining("hostile");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
                assertThat(Files.readAllBytes(trustedTimestamp(t, gun))).isEqualTo(trusted);
                listsAgainAfterReset(p, c, gun, 1);
            });
        });
    }

    @Test
    void list_serverSendsEndlessBody_cutAtTheSizeLimit() {
        assertTimeoutPreemptively(LIMIT, () -> {
            withHostile("4s", (p, t, c, gun) -> {
                assertTimestampCutAtTheSizeLimit(p, t, c, gun, () -> p.endlessBody("GET", ".*/timestamp\\.json"));
            });
        });
    }

    @Test
    void list_serverSendsOversizedBody_refusedAndTrustedCopyKept() {
        assertTimeoutPreemptively(LIMIT, () -> {
            withHostile("4s", (p, t, c, gun) -> {
                // declared in Content-Length, past the client's 10 MiB cap on any response
                assertTimestampCutAtTheSizeLimit(
                        p, t, c, gun, () -> p.oversizedBody("GET", ".*/timestamp\\.json", 11L << 20));
            });
        });
    }

    @Test
    void list_everyAnswerSlow_failsAtTheOperationDeadline() {
        assertTimeoutPreemptively(LIMIT, () -> {
            withHostile("2500ms", (p, t, c, gun) -> {
                c.call("repo.add", target(gun, "v2", "two").put("publish", true));
                // each answer in time (1.4 s < 2 s timeout); a list reads at least the next root and the timestamp:
                // together past the 2.5 s deadline
                p.delay("GET", ".*\\.json", Duration.ofMillis(1400));
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> listHostile(c, gun))
                        .isInstanceOf(ServerUnreachableException.class)
                        .hasMessageContaining("deadline");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(2500 + 1500));
                assertThat(p.log().stream().filter(l -> l.endsWith("DELAY"))).hasSizeGreaterThanOrEqualTo(2);
                listsAgainAfterReset(p, c, gun, 2);
            });
        });
    }

    @Test
    void publish_serverStallsThePost_failsByTheDeadlineAndPublishesOnceLater() {
        assertTimeoutPreemptively(LIMIT, () -> {
            withHostile("4s", (p, t, c, gun) -> {
                c.call("repo.add", target(gun, "v2", "two"));
                p.stall("POST", HostileNotary.PUBLISH_PATH);
                long t0 = System.nanoTime();
                CompletableFuture<JsonNode> publish = async(t, "repo.publish", params("gun", gun, "server", "hostile"));
                assertThat(p.awaitStalled(1, Duration.ofSeconds(10))).isTrue();
                JsonNode status = quickly(OFFLINE, () -> c.call("repo.status", params("gun", gun)));
                assertThat(status.get("changes")).hasSize(1);
                assertThat(failure(publish)).isInstanceOf(ServerUnreachableException.class);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
                p.reset();
                // nothing reached the server: the next publish sends v2 once
                c.call("repo.publish", params("gun", gun, "server", "hostile"));
                assertThat(c.call("repo.status", params("gun", gun)).get("changes"))
                        .isEmpty();
                assertThat(serverVersion(gun, "targets")).isEqualTo(2);
                assertThat(c.call("repo.list", params("gun", gun)).get("targets"))
                        .hasSize(2);
            });
        });
    }
}
