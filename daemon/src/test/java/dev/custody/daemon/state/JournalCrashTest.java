package dev.custody.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 a process in the middle of journaling; the journal it leaves must be exact and whole. */
class JournalCrashTest {
    @TempDir
    Path dir;

    private static Process child(Path dir, String mode) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        JournalCrashChild.class.getName(),
                        dir.toString(),
                        mode)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static String expectLine(BufferedReader r, String prefix) throws IOException {
        String l = r.readLine();
        assertThat(l).as("child output").isNotNull().startsWith(prefix);
        return l.substring(prefix.length());
    }

    @Test
    void kill9_afterThirdStep_reopenSeesExactlyThreeSteps() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Process p = child(dir, "lockstep");
            try (BufferedReader out =
                            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                    OutputStream in = p.getOutputStream()) {
                String id = expectLine(out, "BEGIN ");
                for (int n = 1; n <= 3; n++) {
                    in.write("go\n".getBytes(StandardCharsets.US_ASCII));
                    in.flush();
                    assertThat(expectLine(out, "STEP ")).isEqualTo(Integer.toString(n));
                }
                p.destroyForcibly(); // SIGKILL
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).isEqualTo(137);

                Journal j = Journal.open(dir, Clock.systemUTC());
                assertThat(j.pending()).hasSize(1);
                PendingOperation op = j.pending().get(0);
                assertThat(op.id()).isEqualTo(id);
                assertThat(op.gun()).isEqualTo("example.com/crash");
                assertThat(op.steps()).extracting(JournalStep::name).containsExactly("step-1", "step-2", "step-3");
                assertThat(op.steps())
                        .extracting(s -> s.data().get("n").asInt())
                        .containsExactly(1, 2, 3);
            }
        });
    }

    @Test
    void kill9_whileWritingFast_leavesOnlyWholeRecords() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            Process p = child(dir, "run");
            int lastReported;
            try (BufferedReader out =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                expectLine(out, "BEGIN ");
                int target = 20 + (int) (System.nanoTime() % 30);
                do {
                    lastReported = Integer.parseInt(expectLine(out, "STEP "));
                } while (lastReported < target);
                p.destroyForcibly();
                assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            }
            // every file on disk is whole JSON (temp files of an interrupted write are allowed until reopen)
            ObjectMapper m = new ObjectMapper();
            List<Path> files;
            try (Stream<Path> s = Files.walk(dir)) {
                files = s.filter(Files::isRegularFile).toList();
            }
            for (Path f : files) {
                if (!AtomicFiles.isTempName(f.getFileName().toString())) {
                    assertThat(m.readTree(f.toFile())).as("%s parses", f).isNotNull();
                }
            }
            Journal j = Journal.open(dir, Clock.systemUTC());
            PendingOperation op = j.pending().get(0);
            int recorded = op.steps().size();
            // every step the child reported is durable; it may have recorded any number more before SIGKILL
            // landed (under load the parent reads its output late), so there is no upper bound to check
            assertThat(recorded).isGreaterThanOrEqualTo(lastReported);
            for (int i = 0; i < recorded; i++) {
                assertThat(op.steps().get(i).seq()).isEqualTo(i + 1);
                assertThat(op.steps().get(i).data().get("n").asInt()).isEqualTo(i + 1);
            }
            try (Stream<Path> s = Files.walk(dir)) {
                assertThat(s.filter(f -> AtomicFiles.isTempName(f.getFileName().toString())))
                        .as("temps removed")
                        .isEmpty();
            }
        });
    }
}
