package dev.custody.daemon.keys;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.audit.AuditRecord;
import dev.custody.daemon.policy.UnixAccounts;
import dev.custody.daemon.rpc.Notices;
import dev.custody.pkcs11.yubikey.PivSlot;
import dev.custody.pkcs11.yubikey.TouchNotifier;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The touch notice of one signature: when the YubiKey is still busy after the token layer's
 * threshold, the caller of the socket call this signature runs for (captured on the signing
 * thread) gets a {@code touch} notice, the daemon log an INFO line and the audit log a
 * {@code touch} line; when the signature has returned, a {@code touch.done} notice.
 */
final class TouchNotice implements TouchNotifier {
    private static final System.Logger LOG = System.getLogger(TokenKeyService.class.getName());

    private final AuditLog audit;
    private final ManagedToken token;
    private final KeyInventory.Entry entry;
    private final Optional<PivSlot> slot;
    private final Optional<Notices.Channel> channel = Notices.current();
    private final AtomicBoolean told = new AtomicBoolean();
    private volatile TouchRequest request;

    TouchNotice(AuditLog audit, ManagedToken token, KeyInventory.Entry entry) {
        this.audit = audit;
        this.token = token;
        this.entry = entry;
        this.slot = PivSlot.findByCkaId(entry.ckaIdBytes());
    }

    @Override
    public void touchRequired(TouchRequest r) {
        // signatures in other slots of the same YubiKey have their own notice
        if (slot.isPresent() && r.slot() != slot.get() || !told.compareAndSet(false, true)) {
            return;
        }
        request = r;
        channel.ifPresent(c -> c.send("touch", fields(r).put("message", r.message())));
        LOG.log(
                Level.INFO,
                "token " + token.name() + ": " + r.message() + " (slot "
                        + r.slot().hex() + ", key " + entry.keyId() + ")"
                        + channel.map(c -> " for " + c.caller()).orElse(""));
        ObjectNode d = JsonNodeFactory.instance
                .objectNode()
                .put("token", token.name())
                .put("tokenSerial", r.serial())
                .put("slot", r.slot().hex());
        AuditRecord.Builder b = AuditRecord.builder("touch")
                .keyId(entry.keyId())
                .role(entry.role())
                .gun(entry.gun())
                .result("requested")
                .message(r.message())
                .details(d);
        channel.ifPresentOrElse(
                c -> b.caller(c.caller().uid(), c.caller().gid(), c.caller().pid()),
                () -> b.caller(
                        UnixAccounts.selfUid(),
                        UnixAccounts.selfGid(),
                        ProcessHandle.current().pid()));
        try {
            audit.append(b.build());
        } catch (IOException | RuntimeException ex) {
            LOG.log(
                    Level.WARNING,
                    "audit line for a touch request on token " + token.name() + " failed: " + ex.getMessage());
        }
    }

    /** After the signature: {@code touch.done} if a touch was asked for. */
    void finished() {
        TouchRequest r = request;
        if (r != null) {
            channel.ifPresent(c -> c.send("touch.done", fields(r)));
        }
    }

    private ObjectNode fields(TouchRequest r) {
        return JsonNodeFactory.instance
                .objectNode()
                .put("token", token.name())
                .put("serial", r.serial())
                .put("slot", r.slot().hex())
                .put("keyId", entry.keyId());
    }
}
