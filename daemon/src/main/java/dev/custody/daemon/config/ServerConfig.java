package dev.custody.daemon.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A trusted Notary server.
 *
 * @param name how requests refer to it ({@code default} unless named otherwise)
 * @param url its base URL, http or https
 * @param caFile PEM CA bundle that signs its TLS certificate, or null for the system's
 * @param credentialsFile file with {@code user:password} for its token auth, or null
 * @param timeout the longest one HTTP exchange with it may take, body included ({@link #DEFAULT_TIMEOUT})
 * @param deadline the longest all server calls of one operation (a publish: fetches, POST, read-back) may
 *     take together ({@link #DEFAULT_DEADLINE}); past it the operation fails SERVER_UNREACHABLE
 */
public record ServerConfig(
        String name, URI url, Path caFile, Path credentialsFile, Duration timeout, Duration deadline) {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(120);

    public ServerConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
        timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
        deadline = deadline == null ? DEFAULT_DEADLINE : deadline;
    }

    /** A server with the default {@link #timeout} and {@link #deadline}. */
    public ServerConfig(String name, URI url, Path caFile, Path credentialsFile) {
        this(name, url, caFile, credentialsFile, null, null);
    }

    public Optional<Path> findCaFile() {
        return Optional.ofNullable(caFile);
    }

    public Optional<Path> findCredentialsFile() {
        return Optional.ofNullable(credentialsFile);
    }

    /** {@link #url} in the form requests are matched against ({@link #normalize}). */
    public String normalizedUrl() {
        return normalize(url).orElseThrow(() -> new IllegalStateException("configured URL is not usable: " + url));
    }

    /**
     * The form two URLs of one server share: scheme and host in lower case, the default port (443 for
     * https, 80 for http) written out, no trailing slash: {@code HTTPS://Notary.Example.com/} and
     * {@code https://notary.example.com:443} are both {@code https://notary.example.com:443}. Empty
     * when {@code url} is not an http(s) URL with a host, or carries credentials, a query or a fragment.
     */
    public static Optional<String> normalize(URI url) {
        String scheme = url.getScheme() == null ? null : url.getScheme().toLowerCase(Locale.ROOT);
        if (!("https".equals(scheme) || "http".equals(scheme))
                || url.getHost() == null
                || url.getRawUserInfo() != null
                || url.getRawQuery() != null
                || url.getRawFragment() != null) {
            return Optional.empty();
        }
        int port = url.getPort() != -1 ? url.getPort() : "https".equals(scheme) ? 443 : 80;
        String path = url.getRawPath() == null ? "" : url.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return Optional.of(scheme + "://" + url.getHost().toLowerCase(Locale.ROOT) + ":" + port + path);
    }

    /** {@link #normalize(URI)} of a string; empty when it is not a URL at all. */
    public static Optional<String> normalize(String url) {
        try {
            return normalize(new URI(url));
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }
}
