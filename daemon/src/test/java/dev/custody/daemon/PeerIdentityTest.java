package dev.custody.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.custody.daemon.audit.AuditEntry;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.daemon.policy.ActionResolver;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.daemon.testing.TestUser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client running as a second, real uid: the daemon sees that uid from SO_PEERCRED, policy
 * allows and denies it by its rule, and the audit log records both.
 */
@Requires({Capability.ROOT, Capability.LINUX, Capability.SETPRIV})
class PeerIdentityTest {
    static final String USER = "custody-test-ci";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static TestUser user;
    private static long uid;
    private static long gid;

    @TempDir
    static Path shared;

    @BeforeAll
    static void createUserAndClasspath() throws Exception {
        user = TestUser.create(USER, shared);
        uid = user.uid();
        gid = user.gid();
    }

    @AfterAll
    static void removeUser() throws Exception {
        if (user != null) {
            user.close();
        }
    }

    record ChildResult(long pid, JsonNode out) {}

    /** Runs PeerClientMain as the test user. */
    private static ChildResult asTestUser(Path socket, String method, String params) throws Exception {
        Process p = user.start(PeerClientMain.class, socket.toString(), method, params);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return new ChildResult(p.pid(), MAPPER.readTree(out));
    }

    /** Registers whoami (open) and add (guarded), the way repository methods will be. */
    static final class Methods implements DaemonExtension {
        @Override
        public String name() {
            return "peer-test";
        }

        @Override
        public void install(DaemonContext ctx) {
            ctx.methods()
                    .registerOpen(
                            "whoami",
                            (c, p) -> JsonNodeFactory.instance
                                    .objectNode()
                                    .put("uid", c.uid())
                                    .put("gid", c.gid())
                                    .put("pid", c.pid()));
            ctx.methods()
                    .register(
                            "add",
                            ActionResolver.of(Operation.ADD),
                            (c, p) -> JsonNodeFactory.instance.objectNode().put("addedBy", c.uid()));
        }
    }

    @Test
    void secondUid_isSeenByTheDaemon_allowedAndDeniedByPolicy_andAudited() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Path run = Files.createDirectory(shared.resolve("run"));
            Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path socket = run.resolve("custody.sock");
            DaemonConfig config = ConfigLoader.parse(
                    """
          stateDir: %s/state
          socket:
            path: %s
            mode: "0660"
            group: "%d"
          policy:
            rules:
              - name: ci-team
                users: [%s]
                guns: ["example.com/team/*"]
                operations: [add]
          """.formatted(shared, socket, gid, USER),
                    shared.resolve("custodyd.yaml"),
                    ConfigLoader.Accounts.SYSTEM);
            Daemon daemon = Daemon.start(config, Map.of(), List.of(new Methods()), Clock.systemUTC());
            ChildResult who;
            ChildResult allowed;
            ChildResult denied;
            try {
                assertThat(((Number) Files.getAttribute(socket, "unix:gid")).longValue())
                        .isEqualTo(gid);

                who = asTestUser(socket, "whoami", "{}");
                assertThat(who.out().path("ok").asBoolean())
                        .as(who.out().toString())
                        .isTrue();
                assertThat(who.out().at("/result/uid").asLong()).isEqualTo(uid);
                assertThat(who.out().at("/result/gid").asLong()).isEqualTo(gid);
                assertThat(who.out().at("/result/pid").asLong()).isEqualTo(who.pid());

                allowed = asTestUser(socket, "add", "{\"gun\":\"example.com/team/app\",\"role\":\"targets\"}");
                assertThat(allowed.out().path("ok").asBoolean())
                        .as(allowed.out().toString())
                        .isTrue();
                assertThat(allowed.out().at("/result/addedBy").asLong()).isEqualTo(uid);

                denied = asTestUser(socket, "add", "{\"gun\":\"example.com/other/app\"}");
                assertThat(denied.out().path("ok").asBoolean()).isFalse();
                assertThat(denied.out().path("code").asText()).isEqualTo("POLICY_DENIED");
                assertThat(denied.out().path("message").asText())
                        .contains("uid " + uid)
                        .contains("no policy rule matched");
                assertThat(denied.out().at("/error/gun").asText()).isEqualTo("example.com/other/app");
            } finally {
                daemon.stop();
            }

            List<AuditEntry> lines;
            try (AuditLog a = AuditLog.open(config.auditLog(), Clock.systemUTC())) {
                assertThat(a.verify().intact()).isTrue();
                lines = a.tail(100);
            }
            List<AuditEntry> adds = lines.stream()
                    .filter(e -> e.record().method().equals("add"))
                    .toList();
            assertThat(adds).hasSize(2);
            assertThat(adds.get(0).record()).satisfies(r -> {
                assertThat(r.uid()).isEqualTo(uid);
                assertThat(r.gid()).isEqualTo(gid);
                assertThat(r.pid()).isEqualTo(allowed.pid());
                assertThat(r.gun()).isEqualTo("example.com/team/app");
                assertThat(r.result()).isEqualTo("ok");
                assertThat(r.rule()).isEqualTo("ci-team");
            });
            assertThat(adds.get(1).record()).satisfies(r -> {
                assertThat(r.uid()).isEqualTo(uid);
                assertThat(r.pid()).isEqualTo(denied.pid());
                assertThat(r.gun()).isEqualTo("example.com/other/app");
                assertThat(r.result()).isEqualTo("POLICY_DENIED");
                assertThat(r.rule()).isEqualTo("no rule matched");
                assertThat(r.message()).contains("no policy rule matched");
            });
        });
    }
}
