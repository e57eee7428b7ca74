package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/custody's class-data archive: the build made it next to the jars, the launcher maps it
 * ({@code -Xshare:on} makes the JVM refuse to start when it cannot), and a stale one is never used —
 * the command runs without it, quietly, and a fresh one is made in the background.
 */
class LauncherArchiveTest {
    @TempDir
    static Path dir;

    static DaemonFixture daemon;

    @BeforeAll
    static void start() throws Exception {
        daemon = new DaemonFixture(dir.resolve("d"), null, false);
    }

    @AfterAll
    static void stop() throws Exception {
        daemon.close();
    }

    /** Runs custody with the JVM's class-loading and CDS log in {@code log}; -Xshare:on: no mapped archive, no start. */
    static Custody.Result runLogged(Custody c, Path log, String... args) throws Exception {
        Files.deleteIfExists(log);
        return c.env("CUSTODY_JAVA_OPTS", "-Xshare:on -Xlog:class+load=info,cds=info:file=" + log)
                .run(args);
    }

    @Test
    void build_madeTheArchive_andTheLauncherMapsIt() throws Exception {
        Path archive = Custody.HOME.resolve("client/target/custody.jsa");
        assertThat(archive).isRegularFile();
        assertThat(Files.size(archive)).isGreaterThan(1 << 20);
        assertThat(Custody.HOME.resolve("client/target/custody.jsa.key")).isRegularFile();

        Path cache = dir.resolve("cache-build");
        Path log = dir.resolve("build.log");
        Custody custody = new Custody(daemon.socket, cache);
        Custody.Result r = runLogged(custody, log, "status").ok();
        assertThat(r.out()).startsWith("custodyd ");
        assertThat(r.err()).isEmpty();
        String jvm = Files.readString(log);
        assertThat(jvm).contains("Opened archive " + archive + ".");
        // the CLI, picocli (class file version 49: only a static archive holds it) and Jackson come from it;
        // plain `status` builds no picocli model (QuickStatus): picocli.CommandLine itself is checked on --version
        for (String c : List.of(
                "dev.custody.client.cli.Main",
                "dev.custody.client.cli.RepoCommands$Status",
                "picocli.CommandLine$IParameterExceptionHandler",
                "com.fasterxml.jackson.core.JsonFactory",
                "com.fasterxml.jackson.databind.node.ObjectNode",
                "dev.custody.client.protocol.CoreJson")) {
            assertThat(jvm).as(c).contains("] " + c + " source: shared objects file");
        }
        // and nothing is read from a jar: no class, no jar opened for a service or resource look-up
        assertThat(jvm)
                .doesNotContain(" source: file:")
                .doesNotContain(" source: jar:")
                .doesNotContain("jdk.internal.loader.URLClassPath$JarLoader ");
        // status prints its table from the reply's tree: no mapper is made (its class may be loaded for the
        // verifier, but not initialised: its default date format would load the time zone database)
        assertThat(jvm)
                .doesNotContain("] com.fasterxml.jackson.databind.util.StdDateFormat ")
                .doesNotContain("] sun.util.calendar.ZoneInfoFile ");
        assertThat(cache).as("nothing made at run time").doesNotExist();

        Custody.Result v = runLogged(custody, log, "--version").ok();
        assertThat(v.out()).startsWith("custody ");
        String versionJvm = Files.readString(log);
        assertThat(versionJvm).contains("] picocli.CommandLine source: shared objects file");
        assertThat(versionJvm)
                .doesNotContain(" source: file:")
                .doesNotContain(" source: jar:")
                .doesNotContain("jdk.internal.loader.URLClassPath$JarLoader ");
    }

    @Test
    void staleArchive_notUsed_quietly_andAFreshOneIsMade() throws Exception {
        Path launcher = Custody.installCopy(dir.resolve("install"));
        Path lib = dir.resolve("install/lib");
        Path cache = dir.resolve("cache-stale");
        Path log = dir.resolve("stale.log");
        Custody custody = new Custody(daemon.socket, cache).launcher(launcher);

        // the install step: CUSTODY_CDS=build writes lib/custody.jsa and its key
        Custody.Result made = custody.env("CUSTODY_CDS", "build").run();
        assertThat(made.status()).as(made.err()).isZero();
        assertThat(made.out()).startsWith("custody: class-data archive " + lib.resolve("custody.jsa"));
        custody.env("CUSTODY_CDS", "on");
        runLogged(custody, log, "--version").ok();
        assertThat(Files.readString(log)).contains("Opened archive " + lib.resolve("custody.jsa") + ".");

        // a jar changes after the archive was made: the archive no longer fits
        try (var jars = Files.list(lib)) {
            Path picocli = jars.filter(j -> j.getFileName().toString().startsWith("picocli-"))
                    .findFirst()
                    .orElseThrow();
            Files.setLastModifiedTime(picocli, FileTime.from(Instant.now().minusSeconds(3600)));
        }
        custody.env("CUSTODY_JAVA_OPTS", "");
        Custody.Result r = custody.run("status").ok();
        assertThat(r.out()).startsWith("custodyd ");
        assertThat(r.err()).as("no JVM warning about the archive").isEmpty();

        // the launcher made one for this jar set in the background, in $CUSTODY_CDS_DIR
        Path fresh = null;
        for (int i = 0; i < 600 && fresh == null; i++) {
            try (var files = Files.list(cache)) {
                fresh = files.filter(f -> f.getFileName().toString().matches("custody-[0-9]+-[0-9]+\\.jsa"))
                        .findFirst()
                        .orElse(null);
            }
            if (fresh == null) {
                Thread.sleep(500);
            }
        }
        assertThat(fresh).as("an archive in " + cache + " after 300 s").isNotNull();
        for (int i = 0; i < 100 && Files.exists(Path.of(fresh.toString().replace(".jsa", ".lock"))); i++) {
            Thread.sleep(100);
        }
        Custody.Result next = runLogged(custody, log, "status").ok();
        assertThat(next.err()).isEmpty();
        String jvm = Files.readString(log);
        assertThat(jvm).contains("Opened archive " + fresh + ".").doesNotContain("Opened archive " + lib);
        assertThat(jvm).contains("] dev.custody.client.cli.Main source: shared objects file");
    }
}
