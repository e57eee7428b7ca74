package dev.custody.testhsm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A throw-away PostgreSQL (Debian's {@code postgresql}) on 127.0.0.1 holding notary-server's database,
 * for tests and the bench: {@link #start()} → {@link #notaryServerUrl()} (the {@code storage.db_url} of a
 * notary-server with {@code "backend": "postgres"}) → {@link #close()}.
 *
 * <p>The cluster lives in a fresh directory under {@code java.io.tmpdir} made by {@code initdb} (trust
 * authentication, UTF-8, no fsync: it is thrown away). PostgreSQL refuses to run as root; as root (CI)
 * every PostgreSQL program runs as the {@code postgres} account through {@code setpriv}, which
 * replaces itself with the program, so stopping the process stops the postmaster.
 *
 * <p>The database {@code notaryserver} gets the schema notary-server 0.7 reads and writes (its
 * {@code server/storage} SQL models, as notary's PostgreSQL migrations create them): {@code tuf_files}
 * (one row per gun, role and version, unique on the three) and the {@code changefeed} it appends to
 * with each new timestamp. See {@link #SCHEMA}.
 */
public final class Postgres implements AutoCloseable {
    /**
     * notary-server 0.7's tables: gorm's model columns (id, created_at, updated_at, deleted_at) then the
     * TUF file; the unique (gun, role, version) is what refuses a second writer of one version.
     */
    public static final String SCHEMA = """
            CREATE TABLE tuf_files (
              id serial PRIMARY KEY,
              created_at timestamp NULL DEFAULT NULL,
              updated_at timestamp NULL DEFAULT NULL,
              deleted_at timestamp NULL DEFAULT NULL,
              gun varchar(255) NOT NULL,
              role varchar(255) NOT NULL,
              version integer NOT NULL,
              data bytea NOT NULL,
              sha256 char(64) DEFAULT NULL,
              CONSTRAINT tuf_files_gun_role_version UNIQUE (gun, role, version)
            );
            CREATE INDEX tuf_files_sha256 ON tuf_files (sha256);
            CREATE TABLE change_category (category varchar(20) PRIMARY KEY);
            INSERT INTO change_category (category) VALUES ('update'), ('deletion');
            CREATE TABLE changefeed (
              id serial PRIMARY KEY,
              created_at timestamp DEFAULT CURRENT_TIMESTAMP,
              gun varchar(255) NOT NULL,
              version integer NOT NULL,
              sha256 char(64) DEFAULT NULL,
              category varchar(20) NOT NULL DEFAULT 'update' REFERENCES change_category
            );
            CREATE INDEX changefeed_gun ON changefeed (gun);
            """;

    private static final String USER = "notary";
    private static final String DB = "notaryserver";

    private final Path dir;
    private final Process process;
    private final int port;

    private Postgres(Path dir, Process process, int port) {
        this.dir = dir;
        this.process = process;
        this.port = port;
    }

    /** Whether PostgreSQL's server programs are installed ({@code scripts/install-deps.sh} installs them). */
    public static boolean available() {
        return binDir() != null;
    }

    /** initdb, start, create notary-server's database and schema; waits until it answers. */
    public static Postgres start() throws IOException {
        Path bin = binDir();
        if (bin == null) {
            throw new IOException("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb): make deps");
        }
        Path dir = Files.createTempDirectory("custody-pg-");
        // the postgres account must reach the directory when we run as root
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path data = dir.resolve("data");
        Path sock = Files.createDirectories(dir.resolve("sock"));
        Path log = dir.resolve("postgres.log");
        Files.createFile(log);
        chownToPostgres(dir, sock, log);
        run(
                dir,
                as(
                        bin.resolve("initdb").toString(),
                        "-D",
                        data.toString(),
                        "-U",
                        USER,
                        "-A",
                        "trust",
                        "-E",
                        "UTF8",
                        "--no-sync",
                        "--no-instructions"));
        for (int attempt = 1; ; attempt++) {
            int port = Processes.freeLoopbackPort();
            Process p = new ProcessBuilder(as(
                            bin.resolve("postgres").toString(),
                            "-D",
                            data.toString(),
                            "-p",
                            String.valueOf(port),
                            "-k",
                            sock.toString(),
                            "-c",
                            "listen_addresses=127.0.0.1",
                            "-c",
                            "fsync=off",
                            "-c",
                            "synchronous_commit=off",
                            "-c",
                            "full_page_writes=off",
                            "-c",
                            "max_connections=200"))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            Postgres pg = new Postgres(dir, p, port);
            try {
                pg.awaitReady(bin, Duration.ofSeconds(30));
                pg.psql(bin, "postgres", "CREATE DATABASE " + DB + ";");
                pg.psql(bin, DB, SCHEMA);
                return pg;
            } catch (IOException | RuntimeException e) {
                pg.close();
                if (attempt < 3 && Files.readString(log).contains("in use")) {
                    continue;
                }
                throw new IOException(
                        e.getMessage() + "; log: " + Files.readString(log).strip(), e);
            }
        }
    }

    /** {@code storage.db_url} for notary-server: {@code postgres://notary@127.0.0.1:PORT/notaryserver?sslmode=disable}. */
    public String notaryServerUrl() {
        return "postgres://" + USER + "@127.0.0.1:" + port + "/" + DB + "?sslmode=disable";
    }

    public int port() {
        return port;
    }

    public Path log() {
        return dir.resolve("postgres.log");
    }

    /** Runs {@code sql} in notary-server's database with psql and returns its unaligned, tuples-only output. */
    public String query(String sql) throws IOException {
        return psql(binDir(), DB, sql);
    }

    private String psql(Path bin, String db, String sql) throws IOException {
        Path file = dir.resolve("q-" + System.nanoTime() + ".sql");
        Files.writeString(file, sql, StandardCharsets.UTF_8);
        file.toFile().setReadable(true, false);
        try {
            return run(
                    dir,
                    as(
                            bin.resolve("psql").toString(),
                            "-X",
                            "-q",
                            "-A",
                            "-t",
                            "-v",
                            "ON_ERROR_STOP=1",
                            "-h",
                            "127.0.0.1",
                            "-p",
                            String.valueOf(port),
                            "-U",
                            USER,
                            "-d",
                            db,
                            "-f",
                            file.toString()));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private void awaitReady(Path bin, Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("postgres exited " + process.exitValue());
            }
            Process p = new ProcessBuilder(
                            bin.resolve("pg_isready").toString(), "-q", "-h", "127.0.0.1", "-p", String.valueOf(port))
                    .redirectErrorStream(true)
                    .start();
            try {
                p.getInputStream().readAllBytes();
                if (p.waitFor() == 0) {
                    return;
                }
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        throw new IOException("postgres not ready after " + timeout);
    }

    @Override
    public void close() {
        Processes.stop(process);
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory left behind
        }
    }

    private static Path binDir() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")))
                    .max(Comparator.comparing(b -> versionOf(b.getParent())))
                    .orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    private static int versionOf(Path dir) {
        try {
            return Integer.parseInt(dir.getFileName().toString().replaceAll("\\D.*", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** The command, run as the postgres account when we are root. */
    private static List<String> as(String... cmd) {
        List<String> out = new ArrayList<>();
        if (root()) {
            out.addAll(
                    List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups", "--reset-env", "--"));
        }
        out.addAll(List.of(cmd));
        return out;
    }

    private static void chownToPostgres(Path... paths) throws IOException {
        if (!root()) {
            return;
        }
        List<String> cmd = new ArrayList<>(List.of("chown", "postgres:postgres"));
        for (Path p : paths) {
            cmd.add(p.toString());
        }
        run(Path.of("/"), cmd);
    }

    private static String run(Path cwd, List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd)
                .directory(cwd.toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return out;
    }
}
