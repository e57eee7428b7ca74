package dev.custody.daemon.repo;

import dev.custody.daemon.config.ServerConfig;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.NotFoundException;
import dev.custody.tuf.server.NotaryClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The configured Notary servers, one HTTP client each, made on first use.
 *
 * <p>A request names its server ({@code params.server}) by its configured name or by its URL; a URL
 * selects the configured server whose URL is the same after {@link ServerConfig#normalize}. A URL
 * that no configured server has is refused: a socket caller never makes custodyd talk to a server
 * its config does not list. With {@code params.serverCaSha256} (what {@code custody --tlscacert}
 * sends) the caller also says which CA it expects; custodyd refuses when its own {@code caFile} for
 * that server holds other certificates, so nobody is silently given another trust root.
 */
final class NotaryServers {
    /** A server as repository operations use it. */
    /**
     * A configured server's client. {@link #forOperation()} gives the view one operation uses: all its
     * calls together end within the server's configured {@code deadline}.
     */
    record Server(String name, NotaryClient client, java.time.Duration deadline) {
        Server(String name, NotaryClient client) {
            this(name, client, ServerConfig.DEFAULT_DEADLINE);
        }

        Server forOperation() {
            return new Server(name, client.withDeadline(deadline), deadline);
        }
    }

    private final List<ServerConfig> configs;
    private final Map<String, Server> clients = new ConcurrentHashMap<>();

    NotaryServers(List<ServerConfig> configs) {
        this.configs = List.copyOf(configs);
    }

    /** The server named {@code ref} (name or URL), or the first configured one when {@code ref} is null. */
    Server get(String ref) throws CustodyException {
        return get(ref, null);
    }

    /**
     * The server {@code ref} names (a configured name or URL; null: the first configured one), after
     * checking that its CA certificates are exactly {@code caSha256} (SHA-256 fingerprints of DER
     * certificates; null: no check). Each call gives a fresh view with its own deadline
     * ({@link Server#forOperation()}): call it once per operation.
     */
    Server get(String ref, List<String> caSha256) throws CustodyException {
        ServerConfig c = resolve(ref);
        if (caSha256 != null) {
            checkCa(c, caSha256);
        }
        Server s = clients.get(c.name());
        if (s != null) {
            return s.forOperation();
        }
        try {
            NotaryClient.Builder b = NotaryClient.builder(c.url().toString()).requestTimeout(c.timeout());
            if (c.findCaFile().isPresent()) {
                b.caFile(c.findCaFile().get());
            }
            if (c.findCredentialsFile().isPresent()) {
                String line = Files.readString(c.findCredentialsFile().get(), StandardCharsets.UTF_8)
                        .strip();
                int colon = line.indexOf(':');
                if (colon < 0) {
                    throw new BadRequestException("credentials file of server " + c.name() + " is not user:password");
                }
                b.basicAuth(line.substring(0, colon), line.substring(colon + 1));
            }
            Server made = new Server(c.name(), b.build(), c.deadline());
            Server prev = clients.putIfAbsent(c.name(), made);
            return (prev != null ? prev : made).forOperation();
        } catch (IOException e) {
            throw RepoErrors.internal("cannot set up the client for server " + c.name() + ": " + e.getMessage(), e);
        }
    }

    /** The configured server {@code ref} names; NOT_FOUND (with what is configured) when none does. */
    ServerConfig resolve(String ref) throws CustodyException {
        if (configs.isEmpty()) {
            throw new BadRequestException("no Notary server is configured: add one under 'servers' in the config");
        }
        if (ref == null) {
            return configs.get(0);
        }
        Optional<ServerConfig> byName =
                configs.stream().filter(s -> s.name().equals(ref)).findFirst();
        if (byName.isPresent()) {
            return byName.get();
        }
        if (!ref.contains("://")) {
            throw new NotFoundException(
                    "server",
                    ref,
                    "custodyd has no Notary server named '" + ref + "' (it has " + configured()
                            + "); give one of these names or its URL");
        }
        String url = ServerConfig.normalize(ref)
                .orElseThrow(() -> new BadRequestException(
                        "params.server: '" + ref
                                + "' is neither a configured server name nor an http(s) URL with a host",
                        "params.server"));
        return configs.stream()
                .filter(s -> s.normalizedUrl().equals(url))
                .findFirst()
                .orElseThrow(() -> new NotFoundException(
                        "server",
                        ref,
                        "custodyd has no Notary server with URL " + url + " (it has "
                                + configured()
                                + "); to use it, add it to custodyd's config under 'servers' (name, url: " + url
                                + ", caFile) and restart custodyd"));
    }

    private String configured() {
        return configs.stream().map(s -> s.name() + " = " + s.normalizedUrl()).collect(Collectors.joining(", "));
    }

    private static void checkCa(ServerConfig c, List<String> caSha256) throws CustodyException {
        Set<String> asked = new TreeSet<>();
        for (String f : caSha256) {
            String hex = f == null ? "" : f.replace(":", "").strip().toLowerCase(Locale.ROOT);
            if (!hex.matches("[0-9a-f]{64}")) {
                throw new BadRequestException(
                        "params.serverCaSha256: '" + f + "' is not a SHA-256 fingerprint (64 hex"
                                + " digits, colons allowed)",
                        "params.serverCaSha256");
            }
            asked.add(hex);
        }
        if (asked.isEmpty()) {
            throw new BadRequestException(
                    "params.serverCaSha256 must list at least one certificate fingerprint", "params.serverCaSha256");
        }
        if (!"https".equalsIgnoreCase(c.url().getScheme())) {
            throw new BadRequestException(
                    "custodyd trusts a different CA for " + c.name() + ": none, it talks to " + c.normalizedUrl()
                            + " without TLS",
                    "params.serverCaSha256");
        }
        Optional<Path> ca = c.findCaFile();
        if (ca.isEmpty()) {
            throw new BadRequestException(
                    "custodyd trusts a different CA for " + c.name() + ": the system's trust store"
                            + " (no caFile configured)",
                    "params.serverCaSha256");
        }
        if (!asked.equals(fingerprints(ca.get()))) {
            throw new BadRequestException(
                    "custodyd trusts a different CA for " + c.name() + ": " + ca.get(), "params.serverCaSha256");
        }
    }

    /** The SHA-256 fingerprints (lower-case hex of the DER) of the certificates in a PEM file. */
    static Set<String> fingerprints(Path pem) throws CustodyException {
        try (InputStream in = Files.newInputStream(pem)) {
            Set<String> out = new TreeSet<>();
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                out.add(HexFormat.of().formatHex(sha.digest(cert.getEncoded())));
            }
            return out;
        } catch (IOException | CertificateException | NoSuchAlgorithmException e) {
            throw RepoErrors.internal("cannot read the CA file " + pem + ": " + e.getMessage(), e);
        }
    }
}
