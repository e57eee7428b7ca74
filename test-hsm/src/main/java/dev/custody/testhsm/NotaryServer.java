package dev.custody.testhsm;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real {@code notary-server} (Debian's notary 0.7) on 127.0.0.1 with memory storage (or PostgreSQL,
 * {@link #startHttpPostgres}) and a local trust service, for tests and the demo.
 *
 * <p>Call sequence: {@link #startHttp(Path)} or {@link #startTls(Path)} → {@link #url()} (and
 * {@link #caCert()} for TLS) → {@link #close()}. The server's log goes to {@code dir/notary-server.log}.
 * TLS material (a throw-away CA and a server certificate for DNS:localhost and IP:127.0.0.1) is made
 * with openssl in {@code dir}.
 */
public final class NotaryServer implements AutoCloseable {
    private final Process process;
    private final int port;
    private final boolean tls;
    private final Path dir;

    private NotaryServer(Process process, int port, boolean tls, Path dir) {
        this.process = process;
        this.port = port;
        this.tls = tls;
        this.dir = dir;
    }

    public static NotaryServer startHttp(Path dir) throws IOException {
        return start(dir, false);
    }

    public static NotaryServer startTls(Path dir) throws IOException {
        return start(dir, true);
    }

    /**
     * A plain-HTTP notary-server storing in PostgreSQL ({@code "backend": "postgres"}) at {@code dbUrl},
     * e.g. {@link Postgres#notaryServerUrl()}: several servers on one database behave as one.
     */
    public static NotaryServer startHttpPostgres(Path dir, String dbUrl) throws IOException {
        return start(dir, false, "{\"backend\":\"postgres\",\"db_url\":\"" + dbUrl + "\"}");
    }

    private static NotaryServer start(Path dir, boolean tls) throws IOException {
        return start(dir, tls, "{\"backend\":\"memory\"}");
    }

    private static NotaryServer start(Path dir, boolean tls, String storage) throws IOException {
        Files.createDirectories(dir);
        if (tls) {
            makeTlsMaterial(dir);
        }
        // the free port is released before notary-server binds it; under load another process can take
        // the port in between, so a bind failure is retried on a fresh port.
        for (int attempt = 1; ; attempt++) {
            NotaryServer server = launch(dir, tls, Processes.freeLoopbackPort(), storage);
            try {
                server.awaitHealthy(Duration.ofSeconds(20));
                return server;
            } catch (IOException | RuntimeException e) {
                server.close();
                if (attempt < 3 && server.lostPortRace()) {
                    continue;
                }
                throw e;
            }
        }
    }

    private static NotaryServer launch(Path dir, boolean tls, int port, String storage) throws IOException {
        String tlsPart = "";
        if (tls) {
            tlsPart = ",\"tls_cert_file\":\"" + dir.resolve("server.crt") + "\",\"tls_key_file\":\""
                    + dir.resolve("server.key") + "\"";
        }
        String config = "{\"server\":{\"http_addr\":\"127.0.0.1:" + port + "\"" + tlsPart + "},"
                + "\"trust_service\":{\"type\":\"local\",\"key_algorithm\":\"ecdsa\"},"
                + "\"storage\":" + storage + ","
                + "\"logging\":{\"level\":\"info\"}}";
        Path configFile = dir.resolve("notary-server.json");
        Files.writeString(configFile, config, StandardCharsets.UTF_8);
        Path log = dir.resolve("notary-server.log");
        Process p = new ProcessBuilder("notary-server", "-config", configFile.toString())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        return new NotaryServer(p, port, tls, dir.toAbsolutePath());
    }

    private boolean lostPortRace() {
        try {
            return !process.isAlive() && Files.readString(log()).contains("address already in use");
        } catch (IOException e) {
            return false;
        }
    }

    /** Base URL, e.g. {@code http://127.0.0.1:43121}. */
    public String url() {
        return (tls ? "https" : "http") + "://127.0.0.1:" + port;
    }

    /** Host:port as docker names its TLS folder ({@code ~/.docker/tls/<host:port>/ca.crt}). */
    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public boolean isTls() {
        return tls;
    }

    /** The CA certificate (PEM) that signed the server certificate; only for TLS servers. */
    public Path caCert() {
        if (!tls) {
            throw new IllegalStateException("plain HTTP server has no CA");
        }
        return dir.resolve("ca.crt");
    }

    public Path log() {
        return dir.resolve("notary-server.log");
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() {
        Processes.stop(process);
    }

    private void awaitHealthy(Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        SSLContext ctx = tls ? sslContext(caCert()) : null;
        IOException last = null;
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("notary-server exited " + process.exitValue() + "; log: "
                        + Files.readString(log()).strip());
            }
            HttpURLConnection c = null;
            try {
                c = (HttpURLConnection)
                        URI.create(url() + "/_notary_server/health").toURL().openConnection();
                if (c instanceof HttpsURLConnection https) {
                    https.setSSLSocketFactory(ctx.getSocketFactory());
                }
                c.setConnectTimeout(500);
                c.setReadTimeout(1000);
                if (c.getResponseCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            } finally {
                if (c != null) {
                    c.disconnect();
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        throw new IOException("notary-server not healthy after " + timeout + " on " + url(), last);
    }

    /** An SSLContext trusting only the given PEM CA certificate. */
    public static SSLContext sslContext(Path caPem) throws IOException {
        try (var in = Files.newInputStream(caPem)) {
            X509Certificate ca =
                    (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            ks.setCertificateEntry("ca", ca);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot build TLS context from " + caPem, e);
        }
    }

    private static void makeTlsMaterial(Path dir) throws IOException {
        Path ext = dir.resolve("server.ext");
        Files.writeString(
                ext,
                "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                        + "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                        + "extendedKeyUsage=serverAuth\n");
        exec(dir, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key");
        exec(
                dir,
                "openssl",
                "req",
                "-x509",
                "-new",
                "-key",
                "ca.key",
                "-sha256",
                "-days",
                "30",
                "-subj",
                "/CN=custody-test-ca",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-out",
                "ca.crt");
        exec(dir, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key");
        exec(dir, "openssl", "req", "-new", "-key", "server.key", "-subj", "/CN=localhost", "-out", "server.csr");
        exec(
                dir,
                "openssl",
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "30",
                "-sha256",
                "-extfile",
                "server.ext",
                "-out",
                "server.crt");
    }

    /** Runs a helper command (openssl …) in {@code dir}; fails with its output on a non-zero exit. */
    public static void exec(Path dir, String... cmd) throws IOException {
        Process p = new ProcessBuilder(List.of(cmd))
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (p.waitFor() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + new String(out, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
