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
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.daemon.testing.TestClasspath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
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
  private static boolean createdUser;
  private static long uid;
  private static long gid;

  @TempDir static Path shared;
  private static String childClasspath;

  @BeforeAll
  static void createUserAndClasspath() throws Exception {
    if (UnixAccounts.uidOf(USER).isEmpty()) {
      SystemdUnitsTest.Result r = SystemdUnitsTest.run(Path.of("/"),
          List.of("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER));
      assertThat(r.exit()).as("useradd: " + r.output()).isZero();
      createdUser = true;
    }
    uid = UnixAccounts.uidOf(USER).orElseThrow();
    gid = Long.parseLong(SystemdUnitsTest.run(Path.of("/"), List.of("id", "-g", USER)).output().trim());
    // The test user cannot read /root/.m2: give it a world-readable copy of the class path.
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path cp = Files.createDirectory(shared.resolve("cp"));
    List<String> entries = new ArrayList<>();
    int i = 0;
    for (Path e : TestClasspath.entries()) {
      if (e.getFileName().toString().startsWith("surefirebooter")) {
        continue;
      }
      Path to = cp.resolve((i++) + "-" + e.getFileName());
      copyTree(e, to);
      entries.add(to.toString());
    }
    childClasspath = String.join(":", entries);
  }

  @AfterAll
  static void removeUser() throws Exception {
    if (createdUser) {
      SystemdUnitsTest.run(Path.of("/"), List.of("userdel", USER));
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.walkFileTree(from, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        Path d = to.resolve(from.relativize(dir).toString());
        Files.createDirectories(d);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Path t = Files.isDirectory(from) ? to.resolve(from.relativize(file).toString()) : to;
        Files.copy(file, t);
        Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rw-r--r--"));
        return FileVisitResult.CONTINUE;
      }
    });
  }

  record ChildResult(long pid, JsonNode out) {}

  /** Runs PeerClientMain as the test user. */
  private static ChildResult asTestUser(Path socket, String method, String params) throws Exception {
    Process p = new ProcessBuilder("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups",
        TestClasspath.java(), "-cp", childClasspath, PeerClientMain.class.getName(), socket.toString(), method, params)
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .directory(shared.toFile())
        .start();
    p.getOutputStream().close();
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
      ctx.methods().registerOpen("whoami", (c, p) -> JsonNodeFactory.instance.objectNode()
          .put("uid", c.uid()).put("gid", c.gid()).put("pid", c.pid()));
      ctx.methods().register("add", ActionResolver.of(Operation.ADD), (c, p) -> JsonNodeFactory.instance.objectNode()
          .put("addedBy", c.uid()));
    }
  }

  @Test
  void secondUid_isSeenByTheDaemon_allowedAndDeniedByPolicy_andAudited() {
    assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
      Path run = Files.createDirectory(shared.resolve("run"));
      Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwxr-xr-x"));
      Path socket = run.resolve("custody.sock");
      DaemonConfig config = ConfigLoader.parse("""
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
          """.formatted(shared, socket, gid, USER), shared.resolve("custodyd.yaml"), ConfigLoader.Accounts.SYSTEM);
      Daemon daemon = Daemon.start(config, Map.of(), List.of(new Methods()), Clock.systemUTC());
      ChildResult who;
      ChildResult allowed;
      ChildResult denied;
      try {
        assertThat(((Number) Files.getAttribute(socket, "unix:gid")).longValue()).isEqualTo(gid);

        who = asTestUser(socket, "whoami", "{}");
        assertThat(who.out().path("ok").asBoolean()).as(who.out().toString()).isTrue();
        assertThat(who.out().at("/result/uid").asLong()).isEqualTo(uid);
        assertThat(who.out().at("/result/gid").asLong()).isEqualTo(gid);
        assertThat(who.out().at("/result/pid").asLong()).isEqualTo(who.pid());

        allowed = asTestUser(socket, "add", "{\"gun\":\"example.com/team/app\",\"role\":\"targets\"}");
        assertThat(allowed.out().path("ok").asBoolean()).as(allowed.out().toString()).isTrue();
        assertThat(allowed.out().at("/result/addedBy").asLong()).isEqualTo(uid);

        denied = asTestUser(socket, "add", "{\"gun\":\"example.com/other/app\"}");
        assertThat(denied.out().path("ok").asBoolean()).isFalse();
        assertThat(denied.out().path("code").asText()).isEqualTo("POLICY_DENIED");
        assertThat(denied.out().path("message").asText()).contains("uid " + uid).contains("no policy rule matched");
        assertThat(denied.out().at("/error/gun").asText()).isEqualTo("example.com/other/app");
      } finally {
        daemon.stop();
      }

      List<AuditEntry> lines;
      try (AuditLog a = AuditLog.open(config.auditLog(), Clock.systemUTC())) {
        assertThat(a.verify().intact()).isTrue();
        lines = a.tail(100);
      }
      List<AuditEntry> adds = lines.stream().filter(e -> e.record().method().equals("add")).toList();
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
