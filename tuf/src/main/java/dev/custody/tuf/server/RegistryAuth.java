package dev.custody.tuf.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Credentials for a Notary server, following the docker registry token flow that notary's own
 * client uses:
 *
 * <ol>
 *   <li>the request goes out with the current {@code Authorization} (a configured bearer token,
 *       or the token or basic credentials that worked last time, or nothing);</li>
 *   <li>a 401 carries {@code WWW-Authenticate: Bearer realm=…,service=…,scope=…}: GET
 *       {@code realm?service=…&scope=…[&account=user]} (with basic credentials when configured),
 *       read {@code token} (or {@code access_token}) from the JSON answer;</li>
 *   <li>the request is repeated once with {@code Authorization: Bearer <token>}. A
 *       {@code Basic} challenge is answered with the basic credentials instead.</li>
 * </ol>
 *
 * Basic credentials are only sent to a realm over https, or to the server's own host: a
 * challenge cannot make us send a password in clear text to some other machine.
 */
final class RegistryAuth {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** GETs a URI with the given Authorization (or none) and maps failures as the client does. */
    interface TokenFetcher {
        byte[] get(URI uri, String authorization) throws NotaryServerException;
    }

    private final URI server;
    private final String user;
    private final String basicHeader;
    private volatile String authorization;

    RegistryAuth(URI server, String user, String password, String bearerToken) {
        this.server = server;
        this.user = user;
        this.basicHeader = user == null ? null
                : "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.authorization = bearerToken == null ? null : "Bearer " + bearerToken;
    }

    /** The Authorization header to send now, or null. */
    String authorization() {
        return authorization;
    }

    /**
     * Answers a 401. Returns true when new credentials were obtained and the request should be
     * sent again (once); false when there is nothing to try.
     */
    boolean answer(String request, HttpHeaders headers, TokenFetcher fetcher) throws NotaryServerException {
        List<AuthChallenge> challenges = AuthChallenge.parse(headers.allValues("WWW-Authenticate"));
        for (AuthChallenge c : challenges) {
            if (c.scheme().equals("bearer") && c.param("realm").isPresent()) {
                authorization = "Bearer " + fetchToken(request, c, fetcher);
                return true;
            }
        }
        for (AuthChallenge c : challenges) {
            if (c.scheme().equals("basic") && basicHeader != null && !basicHeader.equals(authorization)) {
                authorization = basicHeader;
                return true;
            }
        }
        return false;
    }

    private String fetchToken(String request, AuthChallenge challenge, TokenFetcher fetcher)
            throws NotaryServerException {
        URI realm;
        try {
            realm = URI.create(challenge.param("realm").get());
        } catch (IllegalArgumentException e) {
            throw new AuthRequiredException(request, 401, "", List.of(),
                    "token realm is not a URI: " + challenge.param("realm").get());
        }
        String scheme = realm.getScheme() == null ? "" : realm.getScheme().toLowerCase(Locale.ROOT);
        if ((!scheme.equals("https") && !scheme.equals("http")) || realm.getHost() == null) {
            throw new AuthRequiredException(request, 401, "", List.of(), "token realm is not an http(s) URL: " + realm);
        }
        boolean sameHost = realm.getHost().equalsIgnoreCase(server.getHost());
        if (basicHeader != null && !scheme.equals("https") && !sameHost) {
            throw new AuthRequiredException(request, 401, "", List.of(), "credentials withheld from token realm "
                    + realm + ": plain http to a host other than the notary server");
        }
        StringBuilder q = new StringBuilder(realm.toString());
        char sep = realm.getRawQuery() == null ? '?' : '&';
        for (String name : List.of("service", "scope")) {
            Optional<String> v = challenge.param(name);
            if (v.isPresent()) {
                q.append(sep).append(name).append('=').append(URLEncoder.encode(v.get(), StandardCharsets.UTF_8));
                sep = '&';
            }
        }
        if (user != null) {
            q.append(sep).append("account=").append(URLEncoder.encode(user, StandardCharsets.UTF_8));
        }
        URI tokenUri = URI.create(q.toString());
        byte[] body = fetcher.get(tokenUri, basicHeader);
        try {
            JsonNode json = JSON.readTree(body);
            for (String field : List.of("token", "access_token")) {
                if (json != null && json.path(field).isTextual() && !json.path(field).asText().isEmpty()) {
                    String token = json.path(field).asText();
                    if (token.chars().anyMatch(ch -> ch < 0x21 || ch > 0x7e)) {
                        break;
                    }
                    return token;
                }
            }
        } catch (IOException e) {
            throw new MalformedResponseException("GET " + tokenUri, 200, "token response is not JSON", e);
        }
        throw new MalformedResponseException("GET " + tokenUri, 200,
                "token response has no usable \"token\" or \"access_token\"", null);
    }
}
