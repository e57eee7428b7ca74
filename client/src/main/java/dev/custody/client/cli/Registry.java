package dev.custody.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.http.AuthRefusedException;
import dev.custody.http.TokenAuth;
import dev.custody.http.TrustedCas;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * The part of the Registry HTTP API v2 that {@code trust sign} needs: the manifest of a tag, its
 * digest (SHA-256 of the bytes served) and size. Authentication: anonymous, Basic, or the bearer
 * token flow a {@code WWW-Authenticate: Bearer realm=…} challenge asks for, answered by the Notary
 * client's {@link TokenAuth} with its rules (Basic credentials never go in clear text to a realm on
 * another host). HTTPS with the system CAs or a given CA ({@link TrustedCas}); plain HTTP only for
 * loopback registries (as docker allows 127.0.0.0/8), or when asked.
 */
final class Registry {
    static final String ACCEPT = String.join(
            ", ",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.oci.image.index.v1+json");
    private static final int MAX_MANIFEST = 4 << 20;
    private static final int MAX_TOKEN = 1 << 20;

    /** A resolved manifest: hex SHA-256 and size in bytes. */
    record Manifest(String sha256, long size, String mediaType) {}

    /** Username and password for the registry (from docker's config.json or --registry-user). */
    record Credentials(String user, String password) {
        String basic() {
            return "Basic "
                    + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
    }

    private final HttpClient http;
    /** For the HTTPS attempt on a loopback registry, which may well speak plain HTTP and never answer a handshake. */
    private final HttpClient probe;
    /** For the token realm: never follows a redirect, so credentials go to the realm's URL only. */
    private final HttpClient tokens;

    private final Optional<Credentials> credentials;
    private final boolean plainHttp;

    Registry(Optional<Path> caFile, Optional<Credentials> credentials, boolean plainHttp) throws IOException {
        HttpClient.Builder b = HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL);
        if (caFile.isPresent()) {
            try {
                b.sslContext(TrustedCas.sslContext(caFile.get()));
            } catch (IOException e) {
                throw new Failure.UsageException("--registry-ca " + caFile.get() + ": " + e.getMessage());
            }
        }
        this.http = b.build();
        this.tokens = b.followRedirects(HttpClient.Redirect.NEVER).build();
        this.probe = b.followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        this.credentials = credentials;
        this.plainHttp = plainHttp;
    }

    /** Fetches the manifest of {@code ref}'s tag and hashes it. */
    Manifest resolve(ImageReference ref) throws IOException, InterruptedException {
        String host = ref.apiHost();
        String path = "/v2/" + ref.path() + "/manifests/" + ref.tag();
        if (plainHttp) {
            return fetch(http, URI.create("http://" + host + path), ref);
        }
        boolean loopback = isLoopback(host);
        try {
            return fetch(loopback ? probe : http, URI.create("https://" + host + path), ref);
        } catch (SSLException | ConnectException | java.net.http.HttpConnectTimeoutException e) {
            if (!loopback) {
                throw new Failure.CommandException(
                        ExitCodes.ERROR,
                        "registry " + host + " over HTTPS: " + e.getMessage()
                                + " (give its CA with --registry-ca, or --registry-http for a plain HTTP registry)");
            }
            return fetch(http, URI.create("http://" + host + path), ref);
        }
    }

    static boolean isLoopback(String host) {
        String h = host.contains(":") && !host.startsWith("[") ? host.substring(0, host.lastIndexOf(':')) : host;
        return h.equals("localhost") || h.startsWith("127.") || h.equals("[::1]");
    }

    private Manifest fetch(HttpClient client, URI uri, ImageReference ref) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = get(client, uri, null);
        if (r.statusCode() == 401) {
            // the token flow and the credential rules are the Notary client's (dev.custody.http.TokenAuth)
            TokenAuth auth = new TokenAuth(
                    uri,
                    credentials.map(Credentials::user).orElse(null),
                    credentials.map(Credentials::password).orElse(null),
                    null);
            boolean again;
            try {
                again = auth.answer(
                        r.headers().allValues("WWW-Authenticate"),
                        "repository:" + ref.path() + ":pull",
                        (realm, authorization) -> token(realm, authorization, ref));
            } catch (AuthRefusedException e) {
                throw new Failure.CommandException(
                        ExitCodes.ERROR, "registry " + ref.apiHost() + ": " + e.getMessage());
            }
            if (again) {
                r = get(client, uri, auth.authorization());
            }
        }
        if (r.statusCode() == 404) {
            throw new Failure.CommandException(
                    ExitCodes.NOT_FOUND,
                    "no manifest for " + ref.original() + " in registry " + ref.apiHost() + ": push the image first");
        }
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            throw new Failure.CommandException(
                    ExitCodes.ERROR,
                    "registry " + ref.apiHost() + " refused access to "
                            + ref.path() + " (HTTP " + r.statusCode()
                            + "): log in with docker login, or pass --registry-user and"
                            + " --registry-password-stdin");
        }
        if (r.statusCode() != 200) {
            throw new Failure.CommandException(
                    ExitCodes.ERROR,
                    "registry " + ref.apiHost() + " answered HTTP " + r.statusCode() + " for " + uri.getPath());
        }
        byte[] body = r.body();
        if (body.length > MAX_MANIFEST) {
            throw new Failure.CommandException(ExitCodes.ERROR, "manifest of " + ref.original() + " is over 4 MiB");
        }
        String hex = sha256(body);
        Optional<String> claimed = r.headers().firstValue("Docker-Content-Digest");
        if (claimed.isPresent()
                && claimed.get().startsWith("sha256:")
                && !claimed.get().substring(7).equals(hex)) {
            throw new Failure.CommandException(
                    ExitCodes.ERROR,
                    "registry " + ref.apiHost() + " says the manifest of " + ref.original() + " is " + claimed.get()
                            + " but its bytes hash to sha256:" + hex);
        }
        return new Manifest(
                hex, body.length, r.headers().firstValue("Content-Type").orElse(null));
    }

    private HttpResponse<byte[]> get(HttpClient client, URI uri, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(30))
                .header("Accept", ACCEPT)
                .GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    /** GETs a token from the realm {@link TokenAuth} chose, with what it chose to send. */
    private byte[] token(URI realm, String authorization, ImageReference ref) throws IOException {
        HttpRequest.Builder b =
                HttpRequest.newBuilder(realm).timeout(Duration.ofSeconds(30)).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        HttpResponse<byte[]> r;
        try {
            r = tokens.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking " + realm.getHost() + " for a token", e);
        }
        if (r.statusCode() != 200) {
            throw new Failure.CommandException(
                    ExitCodes.ERROR,
                    "token service " + realm.getHost() + " answered HTTP " + r.statusCode() + " for " + ref.path()
                            + ": check the registry credentials");
        }
        if (r.body().length > MAX_TOKEN) {
            throw new Failure.CommandException(
                    ExitCodes.ERROR, "token service " + realm.getHost() + " sent more than 1 MiB");
        }
        return r.body();
    }

    /**
     * Credentials for {@code registry} from docker's {@code config.json} ({@code $DOCKER_CONFIG},
     * else {@code ~/.docker}): the base64 {@code auth} of {@code auths[registry]}.
     */
    static Optional<Credentials> fromDockerConfig(Map<String, String> env, String registry) {
        String dir = env.getOrDefault("DOCKER_CONFIG", System.getProperty("user.home") + "/.docker");
        Path f = Path.of(dir, "config.json");
        if (!Files.isReadable(f)) {
            return Optional.empty();
        }
        try {
            JsonNode auths = new ObjectMapper().readTree(f.toFile()).path("auths");
            for (String key : registry.equals(ImageReference.HUB)
                    ? new String[] {"https://index.docker.io/v1/", "docker.io", "index.docker.io"}
                    : new String[] {registry, "https://" + registry, "http://" + registry}) {
                String auth = auths.path(key).path("auth").asText("");
                if (!auth.isEmpty()) {
                    String up = new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8);
                    int i = up.indexOf(':');
                    if (i > 0) {
                        return Optional.of(new Credentials(up.substring(0, i), up.substring(i + 1)));
                    }
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
