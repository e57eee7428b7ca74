package dev.custody.daemon.repo.testing;

import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.Main;
import dev.custody.daemon.testing.TestClasspath;
import dev.custody.testhsm.SoftHsm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * custodyd as a child JVM ({@code java -cp <test class path> dev.custody.daemon.Main --config …}) on a
 * SoftHSM2 token of this JVM's SoftHSM2 directory, configured as token {@code main} with
 * {@code pin: env:CUSTODY_TEST_PIN}. Each start writes {@code stderr-N.log}.
 */
public final class ChildDaemon implements AutoCloseable {
    private final Path dir;
    private final SoftHsm.Token token;
    private Process process;
    private int starts;

    public ChildDaemon(Path dir, String yaml) throws IOException {
        this(dir, yaml, RepoTestbed.server().url());
    }

    /** A daemon of its own token and state in {@code dir}, whose server {@code default} is {@code serverUrl}. */
    public ChildDaemon(Path dir, String yaml, String serverUrl) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.token = SoftHsm.forThisProcess()
                .createToken("child-" + UUID.randomUUID().toString().substring(0, 8));
        Files.writeString(
                dir.resolve("custodyd.yaml"),
                RepoTestbed.configText(dir, serverUrl, token.label(), "env:CUSTODY_TEST_PIN", yaml, ""));
    }

    /** Starts custodyd; with {@code crashAt} ("publish:posting") armed, it halts there. Waits until it serves. */
    public void start(String crashAt) throws Exception {
        starts++;
        ProcessBuilder pb = new ProcessBuilder(List.of(
                        TestClasspath.java(),
                        "-cp",
                        TestClasspath.asString(),
                        Main.class.getName(),
                        "--config",
                        dir.resolve("custodyd.yaml").toString()))
                .redirectOutput(dir.resolve("stdout-" + starts + ".log").toFile())
                .redirectError(dir.resolve("stderr-" + starts + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.putAll(SoftHsm.forThisProcess().env());
        env.put("CUSTODY_TEST_PIN", token.userPin());
        env.remove("LISTEN_PID");
        env.remove("LISTEN_FDS");
        env.remove("NOTIFY_SOCKET");
        if (crashAt != null) {
            env.put("CUSTODY_DEBUG", "1");
            env.put("CUSTODY_DEBUG_CRASH_AT", crashAt);
        }
        process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("custodyd exited " + process.exitValue() + ": " + log());
            }
            try (CustodyClient c = client()) {
                c.ping();
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("custodyd did not serve: " + log(), e);
                }
                Thread.sleep(50);
            }
        }
    }

    public CustodyClient client() throws Exception {
        return CustodyClient.connect(dir.resolve("run/custody.sock"), Duration.ofSeconds(60));
    }

    /** Waits for the process to end (after a crash hook fired); returns its exit code. */
    public int awaitExit() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("custodyd did not stop");
        }
        return process.exitValue();
    }

    /** SIGKILL, as {@code kill -9}: no shutdown hook runs; waits until the process is gone. */
    public void kill9() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    public String log() {
        try {
            return Files.readString(dir.resolve("stderr-" + starts + ".log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public Path dir() {
        return dir;
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
