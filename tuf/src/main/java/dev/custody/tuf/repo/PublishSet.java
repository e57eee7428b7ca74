package dev.custody.tuf.repo;

import dev.custody.tuf.model.Repository;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one publish sends: role → signed bytes (root first, then targets roles, then snapshot when it is
 * signed locally; never timestamp, which the server signs), and the repository as it will be once the
 * server accepts (its timestamp, and a server-made snapshot, come from the next update).
 */
public record PublishSet(Map<String, byte[]> files, Repository after) {
    public PublishSet {
        Map<String, byte[]> copy = new LinkedHashMap<>();
        files.forEach((k, v) -> copy.put(k, v.clone()));
        files = Collections.unmodifiableMap(copy);
    }

    public boolean isEmpty() {
        return files.isEmpty();
    }
}
