package dev.custody.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The one answer to a {@code WWW-Authenticate} challenge, for the Notary client and the registry client
 * alike: the docker registry token flow that notary's and docker's clients use.
 *
 * <ol>
 *   <li>a request goes out with {@link #authorization()} (a configured bearer token, or the token or Basic
 *       credentials that worked last time, or nothing);</li>
 *   <li>a 401 carries {@code WWW-Authenticate: Bearer realm=…,service=…,scope=…}: {@link #answer} GETs
 *       {@code realm?service=…&scope=…[&account=user]} (with the Basic credentials, if any) and reads
 *       {@code token} (or {@code access_token}) from the JSON answer; a {@code Basic} challenge is answered
 *       with the Basic credentials;</li>
 *   <li>the caller repeats the request once with the new {@link #authorization()}.</li>
 * </ol>
 *
 * <p>Credential rules: Basic credentials go to a token realm only over https, or to the server's own host;
 * a challenge never makes them travel in clear text to another machine ({@link AuthRefusedException}). A
 * realm must be an http(s) URL with a host; a token must be visible ASCII.
 */
public final class TokenAuth {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** GETs {@code uri} with {@code authorization} (or none) and returns the body of a 2xx answer. */
    @FunctionalInterface
    public interface TokenFetcher {
        byte[] get(URI uri, String authorization) throws IOException;
    }

    private final URI server;
    private final String user;
    private final String basicHeader;
    private volatile String authorization;

    /**
     * @param server the server whose challenges this answers (its host decides what "another host" is)
     * @param user Basic user, or null for none
     * @param password Basic password (with {@code user})
     * @param bearerToken a token to send from the first request on, or null
     */
    public TokenAuth(URI server, String user, String password, String bearerToken) {
        this.server = server;
        this.user = user;
        this.basicHeader = user == null
                ? null
                : "Basic "
                        + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        this.authorization = bearerToken == null ? null : "Bearer " + bearerToken;
    }

    /** The Authorization header to send now, or null. */
    public String authorization() {
        return authorization;
    }

    /** Whether Basic credentials are configured. */
    public boolean hasCredentials() {
        return basicHeader != null;
    }

    /**
     * Answers a 401's {@code WWW-Authenticate} values. Returns true when new credentials were obtained and
     * the request should be sent again (once); false when there is nothing to try.
     *
     * @param defaultScope the scope to ask a token for when the challenge names none, or null
     * @throws AuthRefusedException when the realm is unusable, credentials would go where they do not belong,
     *     or the token answer holds no usable token
     * @throws IOException what {@code fetcher} throws
     */
    public boolean answer(List<String> wwwAuthenticate, String defaultScope, TokenFetcher fetcher) throws IOException {
        List<AuthChallenge> challenges = AuthChallenge.parse(wwwAuthenticate);
        for (AuthChallenge c : challenges) {
            if (c.scheme().equals("bearer") && c.param("realm").isPresent()) {
                authorization = "Bearer " + fetchToken(c, defaultScope, fetcher);
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

    private String fetchToken(AuthChallenge challenge, String defaultScope, TokenFetcher fetcher) throws IOException {
        URI realm;
        try {
            realm = URI.create(challenge.param("realm").get());
        } catch (IllegalArgumentException e) {
            throw new AuthRefusedException(
                    AuthRefusedException.Reason.BAD_REALM,
                    "token realm is not a URI: " + challenge.param("realm").get());
        }
        String scheme = realm.getScheme() == null ? "" : realm.getScheme().toLowerCase(Locale.ROOT);
        if ((!scheme.equals("https") && !scheme.equals("http")) || realm.getHost() == null) {
            throw new AuthRefusedException(
                    AuthRefusedException.Reason.BAD_REALM, "token realm is not an http(s) URL: " + realm);
        }
        boolean sameHost = realm.getHost().equalsIgnoreCase(server.getHost());
        if (basicHeader != null && !scheme.equals("https") && !sameHost) {
            throw new AuthRefusedException(
                    AuthRefusedException.Reason.CREDENTIALS_WITHHELD,
                    "credentials withheld from token realm " + realm + ": plain http to a host other than "
                            + server.getHost());
        }
        StringBuilder q = new StringBuilder(realm.toString());
        char sep = realm.getRawQuery() == null ? '?' : '&';
        for (String name : List.of("service", "scope")) {
            Optional<String> v = challenge.param(name);
            if (v.isEmpty() && name.equals("scope")) {
                v = Optional.ofNullable(defaultScope);
            }
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
                if (json != null
                        && json.path(field).isTextual()
                        && !json.path(field).asText().isEmpty()) {
                    String token = json.path(field).asText();
                    if (token.chars().anyMatch(ch -> ch < 0x21 || ch > 0x7e)) {
                        break;
                    }
                    return token;
                }
            }
        } catch (IOException e) {
            throw new AuthRefusedException(
                    AuthRefusedException.Reason.BAD_TOKEN, "token response from " + tokenUri + " is not JSON");
        }
        throw new AuthRefusedException(
                AuthRefusedException.Reason.BAD_TOKEN,
                "token response from " + tokenUri + " has no usable \"token\" or \"access_token\"");
    }
}
