package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.audit.AuditRecord;
import dev.custody.daemon.config.TokenHolders;
import dev.custody.daemon.rpc.CallerIdentity;
import dev.custody.protocol.ApprovalDeniedException;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.PolicyDeniedException;
import dev.custody.protocol.results.PendingEntry;
import dev.custody.protocol.results.PendingList;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Operations waiting for a custodian: the requesting call blocks in {@link #await} while the request
 * shows in {@code pending.list}; {@code pending.approve} from another connection lets it go on,
 * {@code pending.deny} or the timeout ends it with APPROVAL_DENIED. Every step is audited.
 *
 * <p>Token holders ({@link #awaitHolders}): a signature with a key on a token that has
 * {@code holders} waits for one pending entry per such token, each decided only by one of that token's
 * holders (anyone else is refused with POLICY_DENIED, audited as {@code approval.refused}). The request
 * goes on as soon as enough tokens are approved; the entries still open are then withdrawn. One denial,
 * or the timeout, ends the whole request with APPROVAL_DENIED before anything is signed.
 *
 * <p>Four eyes ({@link #decide}): the uid that requested an operation never approves it.
 */
final class Approvals {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A token whose holders must approve: its name and serial, who holds it, and what it would sign. */
    record TokenAsk(String token, String serial, TokenHolders holders, List<String> keyIds, List<String> roles) {}

    /** One waiting request. {@code state} is pending, approved, denied, expired or withdrawn. */
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
        /** Notified on every decision (shared by the entries of one token-holder request). */
        final Object monitor;
        /** The token this entry is for, or null for a custodian approval of the whole operation. */
        final TokenAsk token;

        volatile String state = "pending";
        volatile String decidedBy;
        volatile String reason;

        Pending(
                String id,
                String method,
                String gun,
                String role,
                CallerIdentity requestedBy,
                Instant createdAt,
                Instant expiresAt,
                String summary,
                TokenAsk token,
                Object monitor) {
            this.token = token;
            this.monitor = monitor;
            this.id = id;
            this.method = method;
            this.gun = gun;
            this.role = role;
            this.requestedBy = requestedBy;
            this.createdAt = createdAt;
            this.expiresAt = expiresAt;
            this.summary = summary;
        }

        PendingEntry toEntry() {
            return new PendingEntry(
                    id,
                    method,
                    gun,
                    role,
                    new PendingEntry.RequestedBy(requestedBy.uid(), requestedBy.pid()),
                    createdAt.toString(),
                    expiresAt.toString(),
                    summary,
                    token == null ? null : token.token(),
                    token == null ? null : token.serial(),
                    token == null ? null : token.holders().describe(),
                    token == null ? null : List.copyOf(token.keyIds()));
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
        String id = newId();
        Instant now = clock.instant();
        Pending p = new Pending(id, method, gun, role, caller, now, now.plus(timeout), summary, null, new Object());
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
                    throw new ApprovalDeniedException(
                            id,
                            "approval " + id + " was denied by " + p.decidedBy
                                    + (p.reason == null ? "" : ": " + p.reason) + " (" + summary + ")");
                default:
                    audit(p, "approval.expired", "APPROVAL_DENIED", caller, "not approved within " + timeout);
                    throw new ApprovalDeniedException(
                            id,
                            "approval " + id + " was not given within " + timeout + "; nothing was signed (" + summary
                                    + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApprovalDeniedException(id, "the daemon is stopping; approval " + id + " abandoned");
        } finally {
            pending.remove(id);
        }
    }

    /**
     * Asks the holders of each token in {@code asks} at once (one pending entry per token, its summary
     * naming the token and what it signs) and blocks until {@code enough} holds for the set of approved
     * token names; the entries still open are then withdrawn. Returns the approved token names.
     *
     * @throws ApprovalDeniedException a holder denied, enough approvals did not come within the approval
     *     timeout, or every token was decided without enough approvals; nothing may be signed then
     */
    Set<String> awaitHolders(
            CallerIdentity caller,
            String method,
            String gun,
            String role,
            String summary,
            List<TokenAsk> asks,
            Predicate<Set<String>> enough)
            throws CustodyException {
        // one entry per token, all notifying one monitor
        Object monitor = new Object();
        Instant now = clock.instant();
        List<Pending> group = new ArrayList<>();
        for (TokenAsk t : asks) {
            String id = newId();
            String text = "token " + t.token() + (t.serial() == null ? "" : " (serial " + t.serial() + ")") + " signs "
                    + String.join(", ", t.roles()) + " with key "
                    + String.join(
                            ", ",
                            t.keyIds().stream()
                                    .map(k -> k.substring(0, Math.min(16, k.length())) + "…")
                                    .toList())
                    + "; approve as one of its"
                    + " holders (" + t.holders().describe() + ")\n" + summary;
            Pending p = new Pending(id, method, gun, role, caller, now, now.plus(timeout), text, t, monitor);
            group.add(p);
            pending.put(id, p);
            audit(p, "approval.requested", "pending", caller, null);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            synchronized (monitor) {
                while (true) {
                    Set<String> approved = settled(group, summary, enough);
                    if (approved != null) {
                        return approved;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw expireHolders(group, caller, summary);
                    }
                    TimeUnit.NANOSECONDS.timedWait(monitor, left);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            withdraw(group, "the daemon is stopping");
            throw new ApprovalDeniedException(group.get(0).id, "the daemon is stopping; token approvals abandoned");
        } finally {
            group.forEach(p -> pending.remove(p.id));
        }
    }

    /** A fresh approval id (12 hex digits). */
    private static String newId() {
        byte[] r = new byte[6];
        RANDOM.nextBytes(r);
        return HexFormat.of().formatHex(r);
    }

    /**
     * The approved token names once {@code enough} holds for them (the open entries are then withdrawn),
     * or null while entries are still open.
     *
     * @throws ApprovalDeniedException a holder denied, or every token was decided without enough approvals
     */
    private Set<String> settled(List<Pending> group, String summary, Predicate<Set<String>> enough)
            throws ApprovalDeniedException {
        Set<String> approved = new LinkedHashSet<>();
        Pending denied = null;
        boolean open = false;
        for (Pending p : group) {
            switch (p.state) {
                case "approved" -> approved.add(p.token.token());
                case "denied" -> denied = denied == null ? p : denied;
                case "pending" -> open = true;
                default -> {}
            }
        }
        if (denied != null) {
            withdraw(group, "token " + denied.token.token() + "'s holder denied the request");
            throw new ApprovalDeniedException(
                    denied.id,
                    "approval " + denied.id + " for token "
                            + denied.token.token() + " was denied by " + denied.decidedBy
                            + (denied.reason == null ? "" : ": " + denied.reason) + "; nothing was signed ("
                            + summary + ")");
        }
        if (enough.test(approved)) {
            withdraw(group, "not needed: enough tokens were approved (" + String.join(", ", approved) + ")");
            return approved;
        }
        if (!open) {
            throw new ApprovalDeniedException(
                    group.get(0).id,
                    "the tokens' holders approved only " + String.join(", ", approved)
                            + ", not enough to sign; nothing was signed (" + summary + ")");
        }
        return null;
    }

    /** Ends the entries still pending as expired (audited); the refusal to throw. */
    private ApprovalDeniedException expireHolders(List<Pending> group, CallerIdentity caller, String summary) {
        List<String> late = new ArrayList<>();
        for (Pending p : group) {
            synchronized (p) {
                if ("pending".equals(p.state)) {
                    p.state = "expired";
                    late.add(p.token.token());
                    audit(p, "approval.expired", "APPROVAL_DENIED", caller, "not approved within " + timeout);
                }
            }
        }
        return new ApprovalDeniedException(
                group.get(0).id,
                "the holders of token(s) " + String.join(", ", late) + " did not approve within " + timeout
                        + "; nothing was signed (" + summary + ")");
    }

    /** Ends the entries of {@code group} still pending as withdrawn. */
    private void withdraw(List<Pending> group, String why) {
        for (Pending p : group) {
            synchronized (p) {
                if (!"pending".equals(p.state)) {
                    continue;
                }
                p.state = "withdrawn";
            }
            audit(p, "approval.withdrawn", "withdrawn", p.requestedBy, why);
        }
    }

    PendingList list() {
        return new PendingList(pending.values().stream()
                .sorted((x, y) -> x.createdAt.compareTo(y.createdAt))
                .map(Pending::toEntry)
                .toList());
    }

    /** The GUNs of the requests waiting now (one entry per request). */
    java.util.List<String> pendingGuns() {
        return pending.values().stream().map(p -> p.gun).toList();
    }

    Optional<String> gunOf(String id) {
        return Optional.ofNullable(id).map(pending::get).map(p -> p.gun);
    }

    PendingEntry show(String id) throws NotFoundException {
        return require(id).toEntry();
    }

    /** What a requester who tries to approve its own request is told (and the audit line says). */
    static final String SELF_APPROVAL = "the requester of a request cannot approve it";

    /**
     * Approves or denies entry {@code id}. Four eyes: the uid that made the request never approves it,
     * whatever connection, terminal or role (custodian, token holder) it comes with; it may deny
     * (withdraw) it. A refusal is audited as {@code approval.refused} and the entry stays pending.
     */
    void decide(String id, boolean approve, CallerIdentity custodian, String reason) throws CustodyException {
        Pending p = require(id);
        if (p.token != null && !p.token.holders().includes(custodian.subject())) {
            String why = "uid " + custodian.uid() + " is not a holder of token " + p.token.token()
                    + (p.token.serial() == null ? "" : " (serial " + p.token.serial() + ")") + "; its holders: "
                    + p.token.holders().describe();
            audit(p, "approval.refused", "POLICY_DENIED", custodian, why);
            throw new PolicyDeniedException(
                    "holders of token " + p.token.token(),
                    "approve",
                    p.gun,
                    p.role,
                    why + "; approval " + id + " stays pending");
        }
        if (approve && custodian.uid() == p.requestedBy.uid()) {
            String why = SELF_APPROVAL + ": uid " + custodian.uid() + " requested approval " + id;
            audit(p, "approval.refused", "POLICY_DENIED", custodian, why);
            throw new PolicyDeniedException(
                    "four eyes",
                    "approve",
                    p.gun,
                    p.role,
                    why + "; another custodian"
                            + (p.token == null
                                    ? ""
                                    : " among the token's holders ("
                                            + p.token.holders().describe() + ")")
                            + " must approve it; approval " + id + " stays pending");
        }
        synchronized (p) {
            if (!"pending".equals(p.state)) {
                throw new ConflictException(p.gun, "approval " + id + " is already " + p.state);
            }
            p.state = approve ? "approved" : "denied";
            p.decidedBy = "uid " + custodian.uid() + " (pid " + custodian.pid() + ")";
            p.reason = reason;
        }
        audit(
                p,
                approve ? "approval.granted" : "approval.denied",
                approve ? "ok" : "APPROVAL_DENIED",
                custodian,
                reason);
        p.decided.countDown();
        synchronized (p.monitor) {
            p.monitor.notifyAll();
        }
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
            ObjectNode d = JsonNodeFactory.instance
                    .objectNode()
                    .put("approvalId", p.id)
                    .put("method", p.method)
                    .put("summary", p.summary)
                    .put("requestedByUid", p.requestedBy.uid());
            if (p.token != null) {
                d.put("token", p.token.token());
                if (p.token.serial() != null) {
                    d.put("tokenSerial", p.token.serial());
                }
            }
            audit.append(AuditRecord.builder(event)
                    .caller(who.uid(), who.gid(), who.pid())
                    .gun(p.gun)
                    .role(p.role)
                    .result(result)
                    .message(message)
                    .details(d)
                    .build());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
