package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Result of {@code ceremony.publish}: the version of each role sent, in the order sent, and the root
 * version trusted now; {@code alreadyPublished} (and no roles) when the server had this bundle's root
 * already.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CeremonyPublished(String gun, Map<String, Integer> roles, int rootVersion, Boolean alreadyPublished) {
    public CeremonyPublished {
        roles = Collections.unmodifiableMap(new LinkedHashMap<>(roles));
    }

    /** The server has root {@code rootVersion} of this bundle already: nothing was sent. */
    public static CeremonyPublished already(String gun, int rootVersion) {
        return new CeremonyPublished(gun, Map.of(), rootVersion, true);
    }
}
