package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a journaled publish sent ({@code repo.publish}, and {@code published} of a staging call with
 * {@code publish: true}): the version of each role sent, in the order sent (-1 for a file that does not
 * parse), the number of targets of the {@code targets} role when it is known, and how many attempts the
 * publish took (only {@code repo.publish} and staging calls say).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Published(String gun, Map<String, Integer> roles, Integer targets, Integer attempts) {
    public Published {
        roles = Collections.unmodifiableMap(new LinkedHashMap<>(roles));
    }

    /** Nothing of the caller's was staged: nothing sent. */
    public static Published nothing(String gun) {
        return new Published(gun, Map.of(), null, null);
    }

    /** This result, saying it took {@code n} attempts. */
    public Published withAttempts(int n) {
        return new Published(gun, roles, targets, n);
    }

    /** The version of {@code role} sent, or 0 when it was not sent. */
    public int versionOf(String role) {
        return roles.getOrDefault(role, 0);
    }
}
