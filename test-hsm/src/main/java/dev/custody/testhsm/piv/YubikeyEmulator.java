package dev.custody.testhsm.piv;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Emulated YubiKeys that the real Yubico PKCS#11 module (ykcs11) talks to through a real pcscd:
 * ykcs11 → libpcsclite → an isolated pcscd → vsmartcard's vpcd reader driver → TCP → {@link PivCard}.
 *
 * <p>Call sequence:
 * <pre>{@code
 * try (YubikeyEmulator yk = YubikeyEmulator.builder()
 *         .card(PivCard.builder(10000001))
 *         .card(PivCard.builder(10000002).pin("654321"))
 *         .start()) {                       // pcscd up, both cards inserted and powered
 *     yk.requireUsableInThisProcess();      // this JVM's PCSCLITE_CSOCK_NAME names yk.socket()
 *     // load YubikeyEmulator.YKCS11 here, or give yk.env() to a child process (pkcs11-tool, notary)
 *     yk.card(10000001).setTouchPolicy(PivCard.SLOT_SIGNATURE, PivCard.TouchPolicy.ALWAYS);
 *     yk.remove(10000002); yk.insert(10000002);
 * }                                          // cards out, pcscd stopped, ports free
 * }</pre>
 *
 * <p>The socket: libpcsclite reads {@code PCSCLITE_CSOCK_NAME} once, when the process first talks to
 * pcscd, so a JVM that loads ykcs11 itself must be started with the variable already set (surefire's
 * {@code environmentVariables}). The run directory defaults to the parent of that file; it must be
 * named {@code pcscd.comm}, the name pcscd gives its socket. Without the variable the emulator uses a
 * fresh temporary directory, for child processes only ({@link #env()}).
 *
 * <p>Needs root (a mount namespace for pcscd) and the Debian packages pcscd and vsmartcard-vpcd
 * (ykcs11 for the module itself); {@link #missingCapability()} says what is missing. The emulator is
 * test infrastructure: cards keep their keys in memory and lose them on {@link #close()}.
 */
public final class YubikeyEmulator implements AutoCloseable {
    /** Debian's ykcs11. */
    public static final Path YKCS11 =
            Path.of(System.getenv().getOrDefault("CUSTODY_YKCS11_MODULE", "/usr/lib/x86_64-linux-gnu/libykcs11.so"));
    /** The libpcsclite variable that names pcscd's socket. */
    public static final String SOCKET_VARIABLE = "PCSCLITE_CSOCK_NAME";

    private static final String SOCKET_NAME = "pcscd.comm";

    private final IsolatedPcscd pcscd;
    private final List<PivCard> cards;
    private final List<VpcdLink> links;
    private final Duration timeout;
    /** A temporary run directory made by the builder, deleted on close. */
    private final Path ownedRunDir;

    private YubikeyEmulator(IsolatedPcscd pcscd, List<PivCard> cards, Duration timeout, Path ownedRunDir) {
        this.pcscd = pcscd;
        this.ownedRunDir = ownedRunDir;
        this.cards = List.copyOf(cards);
        this.links = new ArrayList<>();
        for (int i = 0; i < cards.size(); i++) {
            links.add(null);
        }
        this.timeout = timeout;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts one card per serial, with default PIN, PUK and management key. */
    public static YubikeyEmulator start(int... serials) throws IOException {
        Builder b = builder();
        for (int s : serials) {
            b.card(PivCard.builder(s));
        }
        return b.start();
    }

    /** What to start. */
    public static final class Builder {
        private final List<PivCard> cards = new ArrayList<>();
        private Path runDir;
        private Duration timeout = Duration.ofSeconds(15);

        private Builder() {}

        public Builder card(PivCard card) {
            cards.add(card);
            return this;
        }

        public Builder card(PivCard.Builder card) {
            return card(card.build());
        }

        /**
         * The directory bind-mounted over pcscd's {@code /run/pcscd}: it will hold {@code pcscd.comm},
         * pcscd's log and its reader configuration. Default: the parent of this JVM's
         * {@code PCSCLITE_CSOCK_NAME}, else a new temporary directory.
         */
        public Builder runDirectory(Path dir) {
            this.runDir = dir;
            return this;
        }

        /** How long pcscd and each card may take to come up (default 15 s). */
        public Builder startTimeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /**
         * Starts pcscd and inserts every card; returns when pcscd has powered each card on.
         *
         * @throws IOException if pcscd or a card does not come up; nothing is left running then
         */
        public YubikeyEmulator start() throws IOException {
            if (cards.isEmpty()) {
                throw new IllegalStateException("add at least one card");
            }
            Set<Integer> serials = new HashSet<>();
            for (PivCard c : cards) {
                if (!serials.add(c.serial())) {
                    throw new IllegalArgumentException("two cards with serial " + c.serial());
                }
            }
            missingCapability().ifPresent(m -> {
                throw new IllegalStateException(m);
            });
            Path dir = runDir != null ? runDir : defaultRunDirectory();
            Path owned = runDir == null && System.getenv(SOCKET_VARIABLE) == null ? dir : null;
            IsolatedPcscd pcscd;
            try {
                pcscd = IsolatedPcscd.start(dir, cards.size(), timeout);
            } catch (IOException | RuntimeException ex) {
                deleteTree(owned);
                throw ex;
            }
            YubikeyEmulator e = new YubikeyEmulator(pcscd, cards, timeout, owned);
            try {
                for (PivCard c : cards) {
                    e.insert(c.serial());
                }
                return e;
            } catch (IOException | RuntimeException ex) {
                e.close();
                throw ex;
            }
        }

        private static Path defaultRunDirectory() throws IOException {
            String s = System.getenv(SOCKET_VARIABLE);
            if (s == null || s.isBlank()) {
                return Files.createTempDirectory("custody-pcscd-");
            }
            Path socket = Path.of(s).toAbsolutePath();
            if (!socket.getFileName().toString().equals(SOCKET_NAME)) {
                throw new IllegalStateException(SOCKET_VARIABLE + " must name a file called " + SOCKET_NAME
                        + " (pcscd's socket name), got " + socket);
            }
            return socket.getParent();
        }
    }

    /**
     * Why emulated YubiKeys cannot run on this machine, or empty if they can: root (for the mount
     * namespace), {@code unshare}, pcscd and the vpcd driver. Tests skip with this message.
     */
    public static Optional<String> missingCapability() {
        if (!isRoot()) {
            return Optional.of("Missing capability: root for an isolated pcscd");
        }
        if (IsolatedPcscd.findPcscd().isEmpty()) {
            return Optional.of("Missing capability: pcscd (apt install pcscd; scripts/install-deps.sh)");
        }
        if (!Files.isReadable(IsolatedPcscd.DRIVER)) {
            return Optional.of("Missing capability: the vpcd reader driver " + IsolatedPcscd.DRIVER
                    + " (apt install vsmartcard-vpcd; scripts/install-deps.sh)");
        }
        if (!UnshareProbe.WORKS) {
            return Optional.of("Missing capability: mount namespaces (unshare --mount) for an isolated pcscd");
        }
        return Optional.empty();
    }

    /** Like {@link #missingCapability()}, and also the ykcs11 module, for tests that load it. */
    public static Optional<String> missingCapabilityWithYkcs11() {
        Optional<String> m = missingCapability();
        if (m.isPresent() || Files.isReadable(YKCS11)) {
            return m;
        }
        return Optional.of("Missing capability: ykcs11 " + YKCS11 + " (apt install ykcs11; scripts/install-deps.sh)");
    }

    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // effective uid
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

    /** Runs {@code unshare --mount true} once per JVM: containers may forbid new mount namespaces even to root. */
    private static final class UnshareProbe {
        static final boolean WORKS = probe();

        private static boolean probe() {
            try {
                Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "true")
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return false;
                }
                return p.exitValue() == 0;
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** pcscd's socket: what {@code PCSCLITE_CSOCK_NAME} must name for a client to see these cards. */
    public Path socket() {
        return pcscd.socket();
    }

    /** Environment for a child process (pkcs11-tool, notary, custodyd) that should see these cards. */
    public Map<String, String> env() {
        return Map.of(SOCKET_VARIABLE, socket().toString());
    }

    /** True if this JVM's {@code PCSCLITE_CSOCK_NAME} names {@link #socket()}, so ykcs11 loaded here sees the cards. */
    public boolean isUsableInThisProcess() {
        String s = System.getenv(SOCKET_VARIABLE);
        return s != null && Path.of(s).toAbsolutePath().normalize().equals(socket());
    }

    /**
     * @throws IllegalStateException if ykcs11 loaded in this JVM would talk to another pcscd (or none)
     */
    public void requireUsableInThisProcess() {
        if (!isUsableInThisProcess()) {
            throw new IllegalStateException(
                    "this JVM's " + SOCKET_VARIABLE + " is "
                            + Optional.ofNullable(System.getenv(SOCKET_VARIABLE))
                                    .orElse("not set") + ", not " + socket()
                            + ": start the JVM with it set (surefire <environmentVariables>), or use env() for a child process");
        }
    }

    /** The cards, in the order they were added (that is also their reader order). */
    public List<PivCard> cards() {
        return cards;
    }

    /** @throws IllegalArgumentException if no card has this serial */
    public PivCard card(int serial) {
        return cards.get(index(serial));
    }

    /** The PC/SC reader name of a card's slot, e.g. {@code Yubico YubiKey OTP+FIDO+CCID 00 01}. */
    public String readerName(int serial) {
        return pcscd.readerName(index(serial));
    }

    /** The vpcd TCP port of a card's reader slot. */
    public int port(int serial) {
        return pcscd.port(index(serial));
    }

    /** pcscd's log (no APDU tracing: VERIFY carries the PIN). */
    public Path log() {
        return pcscd.log();
    }

    public long pcscdPid() {
        return pcscd.pid();
    }

    public boolean isPcscdAlive() {
        return pcscd.isAlive();
    }

    /** Whether the card is in its reader now. */
    public synchronized boolean isInserted(int serial) {
        VpcdLink l = links.get(index(serial));
        return l != null && l.isConnected();
    }

    /**
     * Pulls the card out of its reader (closes its vpcd connection) and returns once vpcd has noticed,
     * at its next presence poll (pcscd polls about every 0.4 s): from then on clients see no card, and
     * a later {@link #insert} is a fresh insertion. The card keeps its keys.
     */
    public synchronized void remove(int serial) {
        int i = index(serial);
        if (disconnect(i)) {
            awaitEjected(i);
        }
    }

    private boolean disconnect(int i) {
        VpcdLink l = links.get(i);
        if (l == null) {
            return false;
        }
        l.close();
        links.set(i, null);
        return true;
    }

    private void awaitEjected(int i) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (pcscd.isAlive() && pcscd.hasCardConnection(pcscd.port(i)) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } catch (IOException e) {
            // cannot tell; pcscd notices on its own
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Puts the card back; returns once pcscd has powered it on. */
    public synchronized void insert(int serial) throws IOException {
        int i = index(serial);
        if (links.get(i) != null && links.get(i).isConnected()) {
            return;
        }
        remove(serial); // a link whose pcscd side ended
        VpcdLink l = VpcdLink.connect(cards.get(i), "127.0.0.1", pcscd.port(i), timeout);
        links.set(i, l);
        l.awaitPowerOn(timeout);
    }

    private int index(int serial) {
        for (int i = 0; i < cards.size(); i++) {
            if (cards.get(i).serial() == serial) {
                return i;
            }
        }
        throw new IllegalArgumentException("no emulated card with serial " + serial);
    }

    /** Serial → reader name, for messages. */
    public Map<Integer, String> readers() {
        Map<Integer, String> m = new LinkedHashMap<>();
        for (PivCard c : cards) {
            m.put(c.serial(), readerName(c.serial()));
        }
        return m;
    }

    /** Pulls every card, stops pcscd and waits for it; its vpcd ports are free afterwards. */
    @Override
    public synchronized void close() {
        for (int i = 0; i < cards.size(); i++) {
            disconnect(i);
        }
        pcscd.close();
        deleteTree(ownedRunDir);
    }

    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary directory; the OS cleans up eventually
        }
    }

    @Override
    public String toString() {
        return "YubikeyEmulator[" + readers() + ", socket " + socket() + "]";
    }
}
