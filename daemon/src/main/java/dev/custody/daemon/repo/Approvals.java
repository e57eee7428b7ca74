package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.client.protocol.ApprovalDeniedException;
import dev.custody.client.protocol.ConflictException;
import dev.custody.client.protocol.CustodyException;
import dev.custody.client.protocol.NotFoundException;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.audit.AuditRecord;
import dev.custody.daemon.rpc.CallerIdentity;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Operations waiting for a custodian: the requesting call blocks in {@link #await} while the request
 * shows in {@code pending.list}; {@code pending.approve} from another connection lets it go on,
 * {@code pending.deny} or the timeout ends it with APPROVAL_DENIED. Every step is audited.
 */
final class Approvals {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** One waiting request. {@code state} is pending, approved, denied or expired. */
  static final class Pending {
    final String id;
    final String method;
    final String gun;
    final String role;
    final CallerIdentity requestedBy;
    final Instant createdAt;
    final Instant expiresAt;
    final String summary;
    final CountDownLatch decided = new CountDownLatch(1);
    volatile String state = "pending";
    volatile String decidedBy;
    volatile String reason;

    Pending(String id, String method, String gun, String role, CallerIdentity requestedBy, Instant createdAt,
        Instant expiresAt, String summary) {
      this.id = id;
      this.method = method;
      this.gun = gun;
      this.role = role;
      this.requestedBy = requestedBy;
      this.createdAt = createdAt;
      this.expiresAt = expiresAt;
      this.summary = summary;
    }

    ObjectNode toJson() {
      ObjectNode o = JsonNodeFactory.instance.objectNode().put("id", id).put("method", method).put("gun", gun)
          .put("role", role);
      o.putObject("requestedBy").put("uid", requestedBy.uid()).put("pid", requestedBy.pid());
      o.put("createdAt", createdAt.toString()).put("expiresAt", expiresAt.toString()).put("summary", summary);
      return o;
    }
  }

  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final AuditLog audit;
  private final Clock clock;
  private final Duration timeout;

  Approvals(AuditLog audit, Clock clock, Duration timeout) {
    this.audit = audit;
    this.clock = clock;
    this.timeout = timeout;
  }

  /**
   * Blocks until a custodian approves; returns the approver's description.
   *
   * @throws ApprovalDeniedException denied, or not decided within the approval timeout
   */
  String await(CallerIdentity caller, String method, String gun, String role, String summary)
      throws CustodyException {
    byte[] r = new byte[6];
    RANDOM.nextBytes(r);
    String id = HexFormat.of().formatHex(r);
    Instant now = clock.instant();
    Pending p = new Pending(id, method, gun, role, caller, now, now.plus(timeout), summary);
    pending.put(id, p);
    audit(p, "approval.requested", "pending", caller, null);
    try {
      boolean decided = p.decided.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
      synchronized (p) {
        if (!decided && "pending".equals(p.state)) {
          p.state = "expired";
        }
      }
      switch (p.state) {
        case "approved":
          return p.decidedBy;
        case "denied":
          throw new ApprovalDeniedException(id, "approval " + id + " was denied by " + p.decidedBy
              + (p.reason == null ? "" : ": " + p.reason) + " (" + summary + ")");
        default:
          audit(p, "approval.expired", "APPROVAL_DENIED", caller, "not approved within " + timeout);
          throw new ApprovalDeniedException(id, "approval " + id + " was not given within " + timeout
              + "; nothing was signed (" + summary + ")");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApprovalDeniedException(id, "the daemon is stopping; approval " + id + " abandoned");
    } finally {
      pending.remove(id);
    }
  }

  ArrayNode list() {
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    pending.values().stream().sorted((x, y) -> x.createdAt.compareTo(y.createdAt)).forEach(p -> a.add(p.toJson()));
    return a;
  }

  /** The GUNs of the requests waiting now (one entry per request). */
  java.util.List<String> pendingGuns() {
    return pending.values().stream().map(p -> p.gun).toList();
  }

  Optional<String> gunOf(String id) {
    return Optional.ofNullable(id).map(pending::get).map(p -> p.gun);
  }

  ObjectNode show(String id) throws NotFoundException {
    return require(id).toJson();
  }

  void decide(String id, boolean approve, CallerIdentity custodian, String reason) throws CustodyException {
    Pending p = require(id);
    synchronized (p) {
      if (!"pending".equals(p.state)) {
        throw new ConflictException(p.gun, "approval " + id + " is already " + p.state);
      }
      p.state = approve ? "approved" : "denied";
      p.decidedBy = "uid " + custodian.uid() + " (pid " + custodian.pid() + ")";
      p.reason = reason;
    }
    audit(p, approve ? "approval.granted" : "approval.denied", approve ? "ok" : "APPROVAL_DENIED", custodian, reason);
    p.decided.countDown();
  }

  int size() {
    return pending.size();
  }

  private Pending require(String id) throws NotFoundException {
    Pending p = id == null ? null : pending.get(id);
    if (p == null) {
      throw new NotFoundException("approval", id, "no pending approval " + id + " (see pending.list)");
    }
    return p;
  }

  private void audit(Pending p, String event, String result, CallerIdentity who, String message) {
    try {
      ObjectNode d = JsonNodeFactory.instance.objectNode().put("approvalId", p.id).put("method", p.method)
          .put("summary", p.summary).put("requestedByUid", p.requestedBy.uid());
      audit.append(AuditRecord.builder(event).caller(who.uid(), who.gid(), who.pid()).gun(p.gun).role(p.role)
          .result(result).message(message).details(d).build());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
