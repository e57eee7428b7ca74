package dev.custody.client.api;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An operation waiting for a custodian ({@code Pending} of the method catalog). {@code summary} says
 * in words what the signature changes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PendingApproval(String id, String method, String gun, String role, Caller requestedBy,
    String createdAt, String expiresAt, String summary) {

  /** Who asked: kernel-reported uid and pid. */
  public record Caller(long uid, long pid) {}
}
