package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** Result of {@code repo.init}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InitResult(
        String gun, List<String> rootKeyIds, String targetsKeyId, String snapshotKeyId, boolean published) {
    public InitResult {
        rootKeyIds = rootKeyIds == null ? List.of() : List.copyOf(rootKeyIds);
    }
}
