package dev.custody.tuf.testing;

import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryServer;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.server.NotaryClient;
import dev.custody.tuf.update.FileTrustedMetaStore;
import dev.custody.tuf.update.NotaryMetaFetcher;
import dev.custody.tuf.update.Updater;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One real notary-server for the whole test JVM, and the fixture repositories that
 * {@code test-hsm/notary-fixtures/make-fixtures.sh} builds on it with the real notary CLI (once, lazily,
 * in a temporary directory: the private keys never leave it).
 */
public final class NotaryFixtures {
    private static NotaryFixtures instance;

    private final NotaryServer server;
    private final Path dir;
    private final Map<String, String> scenarios = new LinkedHashMap<>();
    private boolean built;

    private NotaryFixtures(NotaryServer server, Path dir) {
        this.server = server;
        this.dir = dir;
    }

    public static synchronized NotaryFixtures get() throws IOException {
        if (instance == null) {
            Path dir = Files.createTempDirectory("custody-notary-");
            NotaryServer server = NotaryServer.startHttp(dir.resolve("server"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                deleteTree(dir);
            }));
            instance = new NotaryFixtures(server, dir);
        }
        return instance;
    }

    private static void deleteTree(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temporary directory
        }
    }

    public NotaryServer server() {
        return server;
    }

    public String url() {
        return server.url();
    }

    public Path dir() {
        return dir;
    }

    public NotaryClient client() throws IOException {
        return NotaryClient.builder(server.url()).build();
    }

    /** A fresh notary CLI with an empty trust dir. */
    public NotaryCli freshCli(String name) throws IOException {
        return NotaryCli.create(Files.createTempDirectory(dir, name + "-"), server);
    }

    /** Scenario name → GUN, building the fixtures on first use. */
    public synchronized Map<String, String> scenarios() throws IOException {
        if (!built) {
            Path script = Path.of("..", "test-hsm", "notary-fixtures", "make-fixtures.sh")
                    .toAbsolutePath()
                    .normalize();
            Process p = new ProcessBuilder(
                            "bash", script.toString(), dir.resolve("fixtures").toString(), server.url())
                    .redirectErrorStream(true)
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IOException("make-fixtures.sh failed: " + out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            for (String line : Files.readAllLines(dir.resolve("fixtures").resolve("scenarios.txt"))) {
                String[] parts = line.trim().split(" ");
                if (parts.length == 2) {
                    scenarios.put(parts[0], parts[1]);
                }
            }
            built = true;
        }
        return scenarios;
    }

    public String gun(String scenario) throws IOException {
        String g = scenarios().get(scenario);
        if (g == null) {
            throw new IllegalArgumentException(
                    "no fixture scenario " + scenario + " in " + scenarios().keySet());
        }
        return g;
    }

    /** The notary CLI that built a scenario (its trust dir holds the scenario's private keys). */
    public NotaryCli cliOf(String scenario) throws IOException {
        scenarios();
        return NotaryCli.create(dir.resolve("fixtures").resolve(scenario).resolve("trust"), server);
    }

    /** Files of a scenario's folder (e.g. {@code releases.key}, {@code releases.crt}). */
    public Path scenarioFile(String scenario, String name) throws IOException {
        scenarios();
        return dir.resolve("fixtures").resolve(scenario).resolve(name);
    }

    /** The scenario's private keys (notary's, decrypted) plus the openssl delegation key if present. */
    public NotaryKeys keysOf(String scenario) throws IOException {
        return NotaryKeys.load(cliOf(scenario).trustDir(), NotaryCli.DEFAULT_PASSPHRASE);
    }

    /** The repository as a TUF client with {@code store} as its trusted state reads it from the server now. */
    public static Repository update(NotaryClient client, FileTrustedMetaStore store, String gun, Clock clock)
            throws Exception {
        return Updater.builder()
                .gun(gun)
                .fetcher(new NotaryMetaFetcher(client, gun))
                .store(store)
                .clock(clock)
                .build()
                .update();
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static String sha256Hex(byte[] b) throws Exception {
        return java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
    }
}
