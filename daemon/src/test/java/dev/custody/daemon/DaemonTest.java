package dev.custody.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.audit.AuditEntry;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.audit.AuditVerification;
import dev.custody.daemon.config.ConfigException;
import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.state.Journal;
import dev.custody.daemon.state.PendingOperation;
import dev.custody.daemon.state.StateDirectory;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.PolicyDeniedException;
import dev.custody.protocol.StatusResult;
import dev.custody.testhsm.DaemonYaml;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Requires(Capability.LINUX)
class DaemonTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private DaemonConfig config(String extra) throws ConfigException {
        return ConfigLoader.parse(
                DaemonYaml.in(dir).more(extra).text(), dir.resolve("custodyd.yaml"), ConfigLoader.Accounts.SYSTEM);
    }

    /** Stands in for the repository operations: one guarded method and recovery of "test-op". */
    static final class FakeRepoExtension implements DaemonExtension {
        final List<String> recovered = new CopyOnWriteArrayList<>();
        boolean closed;

        @Override
        public String name() {
            return "fake-repo";
        }

        @Override
        public void install(DaemonContext ctx) {
            ctx.methods()
                    .register(
                            "add",
                            (caller, params) -> JsonNodeFactory.instance
                                    .objectNode()
                                    .put("version", 3)
                                    .put("keyId", "k1")
                                    .put("metadataHash", "abc"));
        }

        @Override
        public boolean recover(DaemonContext ctx, PendingOperation op) throws Exception {
            if (!op.type().equals("test-op")) {
                return false;
            }
            recovered.add(op.id());
            ctx.journal().abort(op.id(), "rolled back at start-up");
            return true;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static List<AuditEntry> audit(DaemonConfig c) throws Exception {
        try (AuditLog a = AuditLog.open(c.auditLog(), Clock.systemUTC())) {
            return a.tail(100);
        }
    }

    @Test
    void start_serveStop_withDefaultPolicy() {
        assertTimeoutPreemptively(LIMIT, () -> {
            DaemonConfig c = config("");
            // an operation that crashed before this start, and one the extension recovers
            Files.createDirectories(c.stateDir());
            String publishId;
            String testOpId;
            try (StateDirectory sd = StateDirectory.open(c.stateDir())) {
                Journal j = Journal.open(sd.journalDir(), Clock.systemUTC());
                publishId = j.begin("publish", "example.com/app", JsonNodeFactory.instance.objectNode());
                j.step(publishId, "signed-targets", null);
                testOpId = j.begin("test-op", "example.com/app", null);
            }
            FakeRepoExtension ext = new FakeRepoExtension();
            Daemon d = Daemon.start(c, Map.of(), List.of(ext), Clock.systemUTC());
            try (CustodyClient client = CustodyClient.connect(c.socket().path())) {
                assertThat(client.ping().pong()).isTrue();
                StatusResult s = client.status();
                assertThat(s.pid()).isEqualTo(ProcessHandle.current().pid());
                assertThat(s.version()).isNotBlank();
                assertThat(s.socketActivated()).isFalse();
                assertThat(s.methods())
                        .containsExactly("add", "audit.tail", "audit.verify", "ping", "policy.show", "status");
                assertThat(s.pendingOperations()).singleElement().satisfies(p -> {
                    assertThat(p.id()).isEqualTo(publishId);
                    assertThat(p.lastStep()).isEqualTo("signed-targets");
                    assertThat(p.steps()).isEqualTo(1);
                });
                assertThat(ext.recovered).containsExactly(testOpId);
                assertThat(client.call(
                                        "add",
                                        JsonNodeFactory.instance
                                                .objectNode()
                                                .put("gun", "example.com/app")
                                                .put("role", "targets"))
                                .get("version")
                                .asInt())
                        .isEqualTo(3);
            } finally {
                d.stop();
            }
            assertThat(ext.closed).isTrue();
            assertThat(Files.exists(c.socket().path(), LinkOption.NOFOLLOW_LINKS))
                    .isFalse();
            StateDirectory.open(c.stateDir()).close(); // lock released

            List<AuditEntry> lines = audit(c);
            assertThat(lines)
                    .extracting(e -> e.record().method())
                    .containsExactly("daemon.start", "add", "daemon.stop");
            AuditEntry add = lines.get(1);
            assertThat(add.record().uid()).isEqualTo(UnixAccounts.selfUid());
            assertThat(add.record().pid()).isEqualTo(ProcessHandle.current().pid());
            assertThat(add.record().gun()).isEqualTo("example.com/app");
            assertThat(add.record().role()).isEqualTo("targets");
            assertThat(add.record().result()).isEqualTo("ok");
            assertThat(add.record().rule()).isEqualTo("default: daemon user");
            assertThat(add.record().version()).isEqualTo(3);
            assertThat(add.record().keyId()).isEqualTo("k1");
            assertThat(add.record().metadataHash()).isEqualTo("abc");
            AuditVerification v = AuditLog.verify(c.auditLog());
            assertThat(v.intact()).as(v.toString()).isTrue();
        });
    }

    @Test
    void policyDenial_isAnsweredAndAudited_andStatusHidesOtherGuns() {
        assertTimeoutPreemptively(LIMIT, () -> {
            long uid = UnixAccounts.selfUid();
            DaemonConfig c = config("""
          policy:
            rules:
              - name: only-team
                uids: [%d]
                guns: ["example.com/team/*"]
                operations: [add]
          """.formatted(uid));
            Files.createDirectories(c.stateDir());
            try (StateDirectory sd = StateDirectory.open(c.stateDir())) {
                Journal.open(sd.journalDir(), Clock.systemUTC()).begin("publish", "example.com/secret", null);
            }
            Daemon d = Daemon.start(c, Map.of(), List.of(new FakeRepoExtension()), Clock.systemUTC());
            try (CustodyClient client = CustodyClient.connect(c.socket().path())) {
                assertThat(client.call(
                                        "add",
                                        JsonNodeFactory.instance.objectNode().put("gun", "example.com/team/app"))
                                .has("version"))
                        .isTrue();
                assertThatThrownBy(() -> client.call(
                                "add", JsonNodeFactory.instance.objectNode().put("gun", "example.com/other/app")))
                        .isInstanceOf(PolicyDeniedException.class)
                        .hasMessageContaining("uid " + uid)
                        .hasMessageContaining("no policy rule matched")
                        .satisfies(e ->
                                assertThat(((PolicyDeniedException) e).gun()).contains("example.com/other/app"));
                assertThat(client.status().pendingOperations())
                        .as("READ on example.com/secret is not allowed")
                        .isEmpty();
            } finally {
                d.stop();
            }
            List<AuditEntry> lines = audit(c);
            AuditEntry denied = lines.stream()
                    .filter(e -> "POLICY_DENIED".equals(e.record().result()))
                    .findFirst()
                    .orElseThrow();
            assertThat(denied.record().method()).isEqualTo("add");
            assertThat(denied.record().gun()).isEqualTo("example.com/other/app");
            assertThat(denied.record().rule()).isEqualTo("no rule matched");
            assertThat(denied.record().uid()).isEqualTo(uid);
            assertThat(lines.stream()
                            .filter(e -> "add".equals(e.record().method())
                                    && "ok".equals(e.record().result())))
                    .singleElement()
                    .extracting(e -> e.record().rule())
                    .isEqualTo("only-team");
        });
    }

    @Test
    void builtinMethods_checkTheirParams_andTheConnectionStaysUsable() {
        assertTimeoutPreemptively(LIMIT, () -> {
            DaemonConfig c = config("");
            Daemon d = Daemon.start(c, Map.of(), List.of(), Clock.systemUTC());
            try (dev.custody.daemon.testing.RawConnection raw =
                    new dev.custody.daemon.testing.RawConnection(c.socket().path())) {
                var bad = raw.call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"echo\":5}}");
                assertThat(bad.at("/error/data/name").asText()).isEqualTo("BAD_REQUEST");
                assertThat(bad.at("/error/data/field").asText()).isEqualTo("params.echo");
                assertThat(bad.at("/error/message").asText()).isEqualTo("params.echo must be a string");
                var extra =
                        raw.call("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"status\",\"params\":{\"verbose\":true}}");
                assertThat(extra.at("/error/data/field").asText()).isEqualTo("params.verbose");
                var ok = raw.call("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\",\"params\":{\"echo\":\"hi\"}}");
                assertThat(ok.at("/result/echo").asText()).isEqualTo("hi");
            } finally {
                d.stop();
            }
        });
    }

    @Test
    void start_stateDirectoryInUse_failsAndReleasesEverything() {
        assertTimeoutPreemptively(LIMIT, () -> {
            DaemonConfig c = config("");
            Daemon first = Daemon.start(c, Map.of(), List.of(), Clock.systemUTC());
            try {
                assertThatThrownBy(() -> Daemon.start(c, Map.of(), List.of(), Clock.systemUTC()))
                        .hasMessageContaining("in use by another custodyd");
                try (CustodyClient client = CustodyClient.connect(c.socket().path())) {
                    assertThat(client.ping().pong())
                            .as("the first daemon is unharmed")
                            .isTrue();
                }
            } finally {
                first.stop();
            }
        });
    }

    @Test
    void start_extensionFails_closesWhatWasOpened() {
        assertTimeoutPreemptively(LIMIT, () -> {
            DaemonConfig c = config("");
            DaemonExtension broken = new DaemonExtension() {
                @Override
                public String name() {
                    return "broken";
                }

                @Override
                public void install(DaemonContext ctx) {
                    throw new IllegalStateException("cannot load PKCS#11 module");
                }
            };
            assertThatThrownBy(() -> Daemon.start(c, Map.of(), List.of(broken), Clock.systemUTC()))
                    .hasMessageContaining("cannot load PKCS#11 module");
            Daemon ok = Daemon.start(c, Map.of(), List.of(), Clock.systemUTC());
            ok.stop();
            assertThat(AuditLog.verify(c.auditLog()).intact()).isTrue();
        });
    }
}
