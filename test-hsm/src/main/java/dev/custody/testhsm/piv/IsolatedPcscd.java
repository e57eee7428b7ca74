package dev.custody.testhsm.piv;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A pcscd that only the processes told about it can see, with vpcd readers for emulated cards.
 *
 * <p>pcscd always serves {@code /run/pcscd/pcscd.comm} and keeps its pid file there, so it runs in a
 * private mount namespace ({@code unshare --mount --propagation private}) in which {@code /run/pcscd}
 * is a bind mount of {@code runDir}. Outside, its socket is {@code runDir/pcscd.comm}; a client uses it
 * by having {@code PCSCLITE_CSOCK_NAME} name that file when libpcsclite first connects. Other
 * processes, and a system pcscd, never see these readers. Needs root (mount namespaces).
 *
 * <p>Readers: each reader.conf entry loads vpcd, which opens {@value #SLOTS_PER_READER} reader slots on
 * consecutive TCP ports (0.0.0.0, vpcd's choice). vpcd keeps per-slot state in static variables, so a
 * second entry gets its own copy of the driver file (a separate dlopen) and its own name. Every reader
 * name starts with {@value #FRIENDLY_NAME}: ykcs11 only looks at readers whose name starts with "Yubico".
 *
 * <p>Ports start at vpcd's default 35963 and move up past ports in use; after start-up the ports are
 * checked to be listened on by this pcscd (through /proc), so a card never reaches someone else's reader.
 */
final class IsolatedPcscd implements AutoCloseable {
    static final Path DRIVER = Path.of("/usr/lib/pcsc/drivers/serial/libifdvpcd.so");
    static final String FRIENDLY_NAME = "Yubico YubiKey OTP+FIDO+CCID";
    static final int SLOTS_PER_READER = 2;
    static final int DEFAULT_BASE_PORT = 35963;
    /** pcscd's limit (PCSCLITE_MAX_READERS_CONTEXTS) is 16 reader slots. */
    static final int MAX_CARDS = 16;

    private static final String PID_FILE = "custody-pcscd.pid";

    private final Process process;
    private final Path runDir;
    private final int basePort;
    private final int cards;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Thread shutdownHook;

    private IsolatedPcscd(
            Process process, Path runDir, int basePort, int cards, FileChannel lockChannel, FileLock lock) {
        this.process = process;
        this.runDir = runDir;
        this.basePort = basePort;
        this.cards = cards;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.shutdownHook = new Thread(() -> stop(process), "isolated-pcscd-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts pcscd with reader slots for {@code cards} cards.
     *
     * @throws IOException if pcscd does not come up (the message has the end of its log)
     * @throws IllegalStateException if another emulator holds {@code runDir}
     */
    static IsolatedPcscd start(Path runDir, int cards, Duration timeout) throws IOException {
        if (cards < 1 || cards > MAX_CARDS) {
            throw new IllegalArgumentException("1.." + MAX_CARDS + " cards per pcscd, got " + cards);
        }
        Path dir = runDir.toAbsolutePath().normalize();
        Files.createDirectories(dir);
        FileChannel ch = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            ch.close();
            throw new IllegalStateException("another YubikeyEmulator uses " + dir + "; stop it first");
        }
        try {
            killStale(dir);
            int readers = (cards + SLOTS_PER_READER - 1) / SLOTS_PER_READER;
            int from = DEFAULT_BASE_PORT;
            for (int attempt = 1; ; attempt++) {
                int base = freePorts(from, readers * SLOTS_PER_READER);
                Process p = launch(dir, readers, base);
                try {
                    awaitReady(p, dir, base, readers * SLOTS_PER_READER, timeout);
                    Files.writeString(dir.resolve(PID_FILE), Long.toString(p.pid()), StandardCharsets.US_ASCII);
                    return new IsolatedPcscd(p, dir, base, cards, ch, lock);
                } catch (PortTakenException e) {
                    stop(p);
                    if (attempt >= 3) {
                        throw new IOException(e.getMessage());
                    }
                    from = base + readers * SLOTS_PER_READER;
                } catch (IOException | RuntimeException e) {
                    stop(p);
                    throw e;
                }
            }
        } catch (IOException | RuntimeException e) {
            lock.release();
            ch.close();
            throw e;
        }
    }

    /** Where clients connect: the file {@code PCSCLITE_CSOCK_NAME} must name. */
    Path socket() {
        return runDir.resolve("pcscd.comm");
    }

    Path runDir() {
        return runDir;
    }

    Path log() {
        return runDir.resolve("pcscd.log");
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The vpcd port of the n-th card (0-based). */
    int port(int card) {
        if (card < 0 || card >= cards) {
            throw new IndexOutOfBoundsException(card);
        }
        return basePort + card;
    }

    /** The reader name pcscd gives the n-th card's slot: {@code FRIENDLYNAME 00 SS}. */
    String readerName(int card) {
        return String.format("%s 00 %02X", friendlyName(card / SLOTS_PER_READER), card % SLOTS_PER_READER);
    }

    /**
     * The FRIENDLYNAME of the r-th reader.conf entry. Each entry needs its own: pcscd numbers slots per
     * entry (so two entries with one name give two readers called "… 00 00"), and ykcs11 identifies its
     * slots by reader name.
     */
    static String friendlyName(int reader) {
        return reader == 0 ? FRIENDLY_NAME : FRIENDLY_NAME + " " + (reader + 1);
    }

    /** The vpcd ports this pcscd listens on now (read from /proc). */
    Set<Integer> listeningPorts() throws IOException {
        return listeningPorts(process.pid());
    }

    private static Process launch(Path dir, int readers, int basePort) throws IOException {
        Path conf = dir.resolve("reader.conf.d");
        Files.createDirectories(conf);
        try (Stream<Path> old = Files.list(conf)) {
            for (Path p : old.toList()) {
                Files.delete(p);
            }
        }
        StringBuilder text = new StringBuilder("# written by dev.custody.testhsm.piv.IsolatedPcscd\n");
        for (int r = 0; r < readers; r++) {
            Path driver = DRIVER;
            if (r > 0) {
                // vpcd keeps its slots in static variables: a second entry needs its own copy of the driver
                Path drivers = Files.createDirectories(dir.resolve("drivers"));
                driver = drivers.resolve("libifdvpcd-" + r + ".so");
                Files.copy(DRIVER, driver, StandardCopyOption.REPLACE_EXISTING);
            }
            int port = basePort + r * SLOTS_PER_READER;
            text.append("FRIENDLYNAME \"")
                    .append(friendlyName(r))
                    .append("\"\n")
                    .append("DEVICENAME /dev/null:")
                    .append(port)
                    .append('\n')
                    .append("LIBPATH ")
                    .append(driver)
                    .append('\n')
                    .append("CHANNELID ")
                    .append(port)
                    .append("\n\n");
        }
        Files.writeString(conf.resolve("custody-vpcd"), text, StandardCharsets.US_ASCII);
        Files.deleteIfExists(dir.resolve("pcscd.comm"));
        Files.deleteIfExists(dir.resolve("pcscd.pid"));
        // $1 and $2 are passed as arguments, never spliced into the script
        String script =
                "mkdir -p /run/pcscd && mount --bind \"$1\" /run/pcscd && exec \"$3\" --foreground --config \"$2\"";
        ProcessBuilder pb = new ProcessBuilder(
                        "unshare",
                        "--mount",
                        "--propagation",
                        "private",
                        "sh",
                        "-c",
                        script,
                        "custody-pcscd",
                        dir.toString(),
                        conf.toString(),
                        pcscd().toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("pcscd.log").toFile());
        pb.environment().remove("PCSCLITE_CSOCK_NAME");
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
    }

    /** The pcscd binary (Debian: /usr/sbin/pcscd), or empty if it is not installed. */
    static Optional<Path> findPcscd() {
        List<Path> candidates = new ArrayList<>();
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!d.isEmpty()) {
                candidates.add(Path.of(d, "pcscd"));
            }
        }
        candidates.add(Path.of("/usr/sbin/pcscd"));
        candidates.add(Path.of("/sbin/pcscd"));
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }

    private static Path pcscd() throws IOException {
        return findPcscd().orElseThrow(() -> new IOException("pcscd is not installed (apt install pcscd)"));
    }

    private static final class PortTakenException extends IOException {
        private static final long serialVersionUID = 1L;

        PortTakenException(String m) {
            super(m);
        }
    }

    private static void awaitReady(Process p, Path dir, int base, int ports, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path socket = dir.resolve("pcscd.comm");
        while (true) {
            if (!p.isAlive()) {
                throw new IOException("pcscd exited with " + p.exitValue() + " while starting; log "
                        + dir.resolve("pcscd.log") + ":\n" + tail(dir.resolve("pcscd.log")));
            }
            Set<Integer> mine = listeningPorts(p.pid());
            boolean allMine = true;
            for (int i = 0; i < ports; i++) {
                allMine &= mine.contains(base + i);
            }
            if (allMine && Files.exists(socket)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                if (tail(dir.resolve("pcscd.log")).contains("Could not initialize connection to virtual ICC")) {
                    throw new PortTakenException("another process took vpcd ports " + base + ".." + (base + ports - 1));
                }
                throw new IOException("pcscd did not come up within " + timeout + " (socket " + socket
                        + (Files.exists(socket) ? " present" : " missing") + ", listening on " + mine + "); log:\n"
                        + tail(dir.resolve("pcscd.log")));
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted starting pcscd", e);
            }
        }
    }

    /** The first of {@code n} consecutive TCP ports, at or above {@code from}, that nothing listens on. */
    private static int freePorts(int from, int n) throws IOException {
        for (int base = from; base + n <= 65535; base += n) {
            boolean free = true;
            for (int i = 0; i < n && free; i++) {
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(true); // as vpcd does: a port in TIME_WAIT is usable
                    s.bind(new InetSocketAddress("0.0.0.0", base + i));
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IOException("no " + n + " consecutive free TCP ports above " + from);
    }

    /** TCP ports in LISTEN state whose socket is open in process {@code pid} (/proc/net/tcp + /proc/PID/fd). */
    static Set<Integer> listeningPorts(long pid) throws IOException {
        return ports(pid, true);
    }

    /**
     * True while vpcd still holds a card connection on this port (a card that disconnected stays there,
     * in CLOSE_WAIT, until vpcd's next presence poll notices and ejects it).
     */
    boolean hasCardConnection(int port) throws IOException {
        return ports(process.pid(), false).contains(port);
    }

    /** Local ports of TCP sockets open in {@code pid}: listening ones, or connected (non-listening) ones. */
    private static Set<Integer> ports(long pid, boolean listening) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // the descriptor closed while we looked
                }
            }
        } catch (IOException e) {
            return Set.of(); // the process is gone
        }
        Set<Integer> ports = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path t = Path.of(table);
            if (!Files.exists(t)) {
                continue;
            }
            List<String> lines = Files.readAllLines(t, StandardCharsets.US_ASCII);
            for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[3].equals("0A") == listening && inodes.contains(f[9])) {
                    String local = f[1];
                    ports.add(Integer.parseInt(local.substring(local.lastIndexOf(':') + 1), 16));
                }
            }
        }
        return ports;
    }

    /** Stops a pcscd left behind by a test JVM that was killed, found through the pid file in the run dir. */
    private static void killStale(Path dir) throws IOException {
        Path pidFile = dir.resolve(PID_FILE);
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid;
        try {
            pid = Long.parseLong(
                    Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
        } catch (NumberFormatException e) {
            Files.deleteIfExists(pidFile);
            return;
        }
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isPresent()) {
            String cmd;
            try {
                cmd = new String(
                                Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                                StandardCharsets.UTF_8)
                        .replace('\0', ' ');
            } catch (IOException e) {
                cmd = ""; // it just exited
            }
            // only our own pcscd: the pid may have been reused by anything else since
            if (cmd.contains("pcscd")
                    && cmd.contains(dir.resolve("reader.conf.d").toString())) {
                h.get().destroy();
                try {
                    h.get().onExit().get(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    h.get().destroyForcibly();
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    h.get().destroyForcibly();
                }
            }
        }
        Files.deleteIfExists(pidFile);
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void stop(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.destroy(); // SIGTERM: pcscd closes its readers, vpcd its ports
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Stops pcscd (SIGTERM, then SIGKILL after 5 s) and waits until its ports are closed. */
    @Override
    public void close() {
        stop(process);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down; the hook runs anyway
        }
        try {
            Files.deleteIfExists(runDir.resolve(PID_FILE));
            Files.deleteIfExists(socket());
        } catch (IOException e) {
            // leftovers are removed by the next start
        }
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            // the lock goes with the channel
        }
    }
}
