package dev.custody.testhsm;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;

/**
 * A real registry (Debian's {@code /usr/bin/docker-registry}, distribution 2.x) on 127.0.0.1 over plain
 * HTTP, filesystem storage in a temp directory, for tests.
 *
 * <p>Call sequence: {@link #start(Path)} → {@link #hostPort()} → {@link #pushImage(String, String, byte[])}
 * (blob uploads through the Registry HTTP API v2, then a schema2 manifest) → {@link #close()}. The
 * registry's log goes to {@code dir/registry.log}.
 */
public final class LocalRegistry implements AutoCloseable {
    public static final String MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json";

    /** A pushed manifest: its digest ({@code sha256:…}) and size in bytes, as the registry serves it. */
    public record Pushed(String digest, long size, byte[] manifest) {
        public String sha256Hex() {
            return digest.substring("sha256:".length());
        }
    }

    private final Process process;
    private final int port;
    private final Path dir;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private LocalRegistry(Process process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    public static LocalRegistry start(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int attempt = 1; ; attempt++) {
            int port = Processes.freeLoopbackPort();
            String config = """
          version: 0.1
          log:
            level: info
          storage:
            filesystem:
              rootdirectory: %s
            delete:
              enabled: true
          http:
            addr: 127.0.0.1:%d
          """.formatted(dir.resolve("data").toAbsolutePath(), port);
            Path cfg = Files.writeString(dir.resolve("config.yml"), config);
            Process p = new ProcessBuilder("/usr/bin/docker-registry", "serve", cfg.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("registry.log").toFile())
                    .start();
            LocalRegistry r = new LocalRegistry(p, port, dir.toAbsolutePath());
            try {
                r.awaitReady(Duration.ofSeconds(20));
                return r;
            } catch (IOException e) {
                r.close();
                if (attempt < 3 && Files.readString(r.log()).contains("address already in use")) {
                    continue;
                }
                throw e;
            }
        }
    }

    /** {@code 127.0.0.1:PORT}, the registry part of an image name. */
    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path log() {
        return dir.resolve("registry.log");
    }

    /**
     * Pushes an image to {@code repository:tag}: a config blob, one layer blob, then a schema2 manifest
     * referencing them. Returns the manifest digest and size as the registry reports them.
     */
    public Pushed pushImage(String repository, String tag, byte[] layer) throws IOException, InterruptedException {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\","
                        + "\"diff_ids\":[\"" + sha256(layer) + "\"]},\"history\":[{\"created_by\":\"custody test\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        String configDigest = uploadBlob(repository, config);
        String layerDigest = uploadBlob(repository, layer);
        byte[] manifest = ("{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"" + MANIFEST_V2 + "\",\n"
                        + "   \"config\": {\n      \"mediaType\": \"application/vnd.docker.container.image.v1+json\",\n"
                        + "      \"size\": " + config.length + ",\n      \"digest\": \"" + configDigest + "\"\n   },\n"
                        + "   \"layers\": [\n      {\n         \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n"
                        + "         \"size\": " + layer.length + ",\n         \"digest\": \"" + layerDigest
                        + "\"\n      }\n   ]\n}")
                .getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> put = http.send(
                HttpRequest.newBuilder(url("/v2/" + repository + "/manifests/" + tag))
                        .header("Content-Type", MANIFEST_V2)
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        expect(put, 201, "PUT manifest");
        String digest = sha256(manifest);
        String served = put.headers().firstValue("Docker-Content-Digest").orElse(digest);
        if (!served.equals(digest)) {
            throw new IOException("registry reports manifest digest " + served + ", computed " + digest);
        }
        return new Pushed(digest, manifest.length, manifest);
    }

    private String uploadBlob(String repository, byte[] blob) throws IOException, InterruptedException {
        String digest = sha256(blob);
        HttpResponse<String> start = http.send(
                HttpRequest.newBuilder(url("/v2/" + repository + "/blobs/uploads/"))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        expect(start, 202, "POST blob upload");
        String location = start.headers().firstValue("Location").orElseThrow(() -> new IOException("no Location"));
        URI loc = location.startsWith("/") ? url(location) : URI.create(location);
        String sep = loc.getRawQuery() == null ? "?" : "&";
        HttpResponse<String> put = http.send(
                HttpRequest.newBuilder(URI.create(loc + sep + "digest=" + digest))
                        .header("Content-Type", "application/octet-stream")
                        .PUT(HttpRequest.BodyPublishers.ofByteArray(blob))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        expect(put, 201, "PUT blob");
        return digest;
    }

    private URI url(String path) {
        return URI.create("http://" + hostPort() + path);
    }

    private static void expect(HttpResponse<String> r, int status, String what) throws IOException {
        if (r.statusCode() != status) {
            throw new IOException(what + " " + r.uri() + ": HTTP " + r.statusCode() + " " + r.body());
        }
    }

    public static String sha256(byte[] b) {
        try {
            return "sha256:"
                    + HexFormat.of()
                            .formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void awaitReady(Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        IOException last = null;
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IOException("docker-registry exited " + process.exitValue() + "; log: "
                        + Files.readString(log()).strip());
            }
            try {
                HttpResponse<String> r = http.send(
                        HttpRequest.newBuilder(url("/v2/"))
                                .timeout(Duration.ofSeconds(1))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        throw new IOException("docker-registry not ready after " + timeout + " on " + hostPort(), last);
    }

    @Override
    public void close() {
        Processes.stop(process);
    }
}
