package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** Result of {@code delegation.list}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DelegationList(
        String gun, List<DelegationInfo> delegations, List<String> rootKeyIds, List<String> targetsKeyIds) {
    public DelegationList {
        delegations = delegations == null ? List.of() : List.copyOf(delegations);
        rootKeyIds = rootKeyIds == null ? null : List.copyOf(rootKeyIds);
        targetsKeyIds = targetsKeyIds == null ? null : List.copyOf(targetsKeyIds);
    }

    public DelegationList(String gun, List<DelegationInfo> delegations) {
        this(gun, delegations, null, null);
    }
}
