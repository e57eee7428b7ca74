package dev.custody.http;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 7235), e.g.
 * {@code Bearer realm="https://auth.example/token",service="notary",scope="repository:app:pull,push"}.
 * Scheme and parameter names are lower-cased; quoted values keep commas and lose their escapes.
 */
public record AuthChallenge(String scheme, Map<String, String> params) {

    public AuthChallenge {
        params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    }

    public Optional<String> param(String name) {
        return Optional.ofNullable(params.get(name));
    }

    /** All challenges of all given header values, in order. Unparseable pieces are skipped. */
    public static List<AuthChallenge> parse(List<String> headerValues) {
        List<AuthChallenge> out = new ArrayList<>();
        for (String value : headerValues) {
            parseOne(value, out);
        }
        return out;
    }

    private static void parseOne(String s, List<AuthChallenge> out) {
        String scheme = null;
        Map<String, String> params = new LinkedHashMap<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == '\t' || s.charAt(i) == ',')) {
                i++;
            }
            int start = i;
            while (i < n && " \t,=".indexOf(s.charAt(i)) < 0) {
                i++;
            }
            if (i == start) {
                i++; // stray '=': skip it
                continue;
            }
            String token = s.substring(start, i);
            int k = i;
            while (k < n && (s.charAt(k) == ' ' || s.charAt(k) == '\t')) {
                k++;
            }
            if (k < n && s.charAt(k) == '=' && scheme != null) {
                i = k + 1;
                while (i < n && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
                    i++;
                }
                StringBuilder v = new StringBuilder();
                if (i < n && s.charAt(i) == '"') {
                    i++;
                    while (i < n && s.charAt(i) != '"') {
                        if (s.charAt(i) == '\\' && i + 1 < n) {
                            i++;
                        }
                        v.append(s.charAt(i++));
                    }
                    i++; // closing quote
                } else {
                    while (i < n && s.charAt(i) != ',' && s.charAt(i) != ' ' && s.charAt(i) != '\t') {
                        v.append(s.charAt(i++));
                    }
                }
                params.put(token.toLowerCase(Locale.ROOT), v.toString());
            } else {
                if (scheme != null) {
                    out.add(new AuthChallenge(scheme, params));
                    params = new LinkedHashMap<>();
                }
                scheme = token.toLowerCase(Locale.ROOT);
            }
        }
        if (scheme != null) {
            out.add(new AuthChallenge(scheme, params));
        }
    }
}
