package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * bin/custody against a real custodyd with only its built-in methods: daemon status, unreachable
 * daemons, methods it does not serve, refused input.
 */
class CliAgainstDaemonTest {
    @TempDir
    static Path dir;

    static DaemonFixture daemon;
    static Custody custody;

    @BeforeAll
    static void start() throws Exception {
        // built-in methods only: a custodyd whose extensions are not installed (methodTheDaemonDoesNotServe)
        daemon = new DaemonFixture(dir.resolve("d"), null, false);
        custody = new Custody(daemon.socket, dir.resolve("cds"));
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
    }

    @Test
    void status_showsTheDaemon() throws Exception {
        Custody.Result r = custody.run("status").ok();
        assertThat(r.out())
                .startsWith("custodyd ")
                .contains("(pid " + ProcessHandle.current().pid() + ") on " + daemon.socket + ", up ");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void statusJson_isTheStableSchema() throws Exception {
        JsonNode j = new ObjectMapper()
                .readTree(custody.run("status", "--output", "json").ok().out());
        assertThat(j.path("pid").asLong()).isEqualTo(ProcessHandle.current().pid());
        assertThat(j.path("version").isTextual()).isTrue();
        assertThat(j.path("methods")).extracting(JsonNode::asText).contains("ping", "status");
    }

    @Test
    void daemonNotRunning_noSocket_exit3() throws Exception {
        Path none = dir.resolve("none.sock");
        Custody.Result r = new Custody(none, dir.resolve("cds")).run("status");
        assertThat(r.status()).isEqualTo(3);
        assertThat(r.err())
                .isEqualTo("custody: cannot reach custodyd at " + none + ": is it running? (systemctl status"
                        + " custodyd; --socket or $CUSTODY_SOCKET choose another socket)\n");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void daemonNotRunning_staleSocket_exit3() throws Exception {
        Path stale = dir.resolve("stale.sock");
        AFUNIXServerSocket s = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(stale));
        s.setDeleteOnClose(false);
        s.close();
        assumeTrue(Files.exists(stale), "the closed socket left its file");
        Custody.Result r = new Custody(stale, dir.resolve("cds")).run("token", "list");
        assertThat(r.status()).isEqualTo(3);
        assertThat(r.err()).startsWith("custody: cannot reach custodyd at " + stale + ": is it running?");
    }

    @Test
    void permissionDenied_saysJoinTheGroup_exit3() throws Exception {
        Custody.Result r;
        if (Files.getOwner(daemon.socket).getName().equals("root") && "root".equals(System.getProperty("user.name"))) {
            // root passes every permission check: run the CLI as nobody, from a copy it can read
            Path home = dir.resolve("install");
            Path launcher = Custody.installCopy(home);
            for (Path p : new Path[] {
                dir, home, home.resolve("bin"), home.resolve("lib"), daemon.dir, daemon.socket.getParent()
            }) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            try (var jars = Files.list(home.resolve("lib"))) {
                for (Path j : jars.toList()) {
                    Files.setPosixFilePermissions(j, PosixFilePermissions.fromString("rw-r--r--"));
                }
            }
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
            r = new Custody(daemon.socket, dir.resolve("cds"))
                    .as(65534, 65534, launcher)
                    .run("status");
        } else {
            var before = Files.getPosixFilePermissions(daemon.socket);
            Files.setPosixFilePermissions(daemon.socket, PosixFilePermissions.fromString("---------"));
            try {
                r = custody.run("status");
            } finally {
                Files.setPosixFilePermissions(daemon.socket, before);
            }
        }
        assertThat(r.status()).as(r.err()).isEqualTo(3);
        assertThat(r.err())
                .startsWith("custody: cannot reach custodyd at " + daemon.socket
                        + ": permission denied: add yourself to group ");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    void methodTheDaemonDoesNotServe_exit8() throws Exception {
        JsonNode served = new ObjectMapper()
                .readTree(custody.run("status", "-o", "json").ok().out())
                .path("methods");
        Map<String, String[]> candidates = new LinkedHashMap<>();
        candidates.put("key.list", new String[] {"key", "list"});
        candidates.put("repo.list", new String[] {"list", "example.com/app"});
        candidates.put("pending.list", new String[] {"pending"});
        candidates.put("delegation.list", new String[] {"delegation", "list", "example.com/app"});
        var missing = candidates.entrySet().stream()
                .filter(e -> !contains(served, e.getKey()))
                .findFirst();
        assumeTrue(missing.isPresent(), "this custodyd serves every candidate method");
        Custody.Result r = custody.run(missing.get().getValue());
        assertThat(r.status()).isEqualTo(8);
        assertThat(r.err())
                .isEqualTo("custody: custodyd at " + daemon.socket + " does not serve '"
                        + missing.get().getKey() + "': upgrade custodyd or enable the extension that provides it\n");
    }

    private static boolean contains(JsonNode array, String s) {
        for (JsonNode n : array) {
            if (n.asText().equals(s)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void pinOnTheCommandLine_refused_exit2() throws Exception {
        Custody.Result r = custody.run("token", "unlock", "main", "--pin=" + DaemonFixture.PIN);
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).doesNotContain(DaemonFixture.PIN).contains("--pin-stdin");
    }

    @Test
    void badInput_usageExit2_oneLine() throws Exception {
        Custody.Result r = custody.run("addhash", "example.com/app", "v1", "12", "--sha256", "xyz");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("custody: --sha256 must be a SHA-256 digest: 64 hex digits, got 'xyz'\n");
    }

    @Test
    void help_andCompletion_fromTheLauncher() throws Exception {
        assertThat(custody.run("--help").ok().out()).contains("Exit status:").contains("trust");
        assertThat(custody.run("gen-completion", "bash").ok().out()).contains("complete -F");
        assertThat(custody.run("gen-man").ok().out()).startsWith(".TH CUSTODY 1");
    }
}
