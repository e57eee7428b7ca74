package dev.custody.protocol;

import java.util.List;

/** Result of {@code delegation.list}. */
public record DelegationList(String gun, List<DelegationInfo> delegations) {
  public DelegationList {
    delegations = delegations == null ? List.of() : List.copyOf(delegations);
  }
}
