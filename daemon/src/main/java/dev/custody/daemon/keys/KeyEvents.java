package dev.custody.daemon.keys;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.audit.AuditRecord;
import dev.custody.daemon.policy.UnixAccounts;
import java.io.IOException;

/**
 * Audit lines of key events the daemon itself causes ({@code sign}, {@code key.generate},
 * {@code key.assign}): caller = the daemon; key ID, role, GUN, token and its serial.
 */
final class KeyEvents {
    private final AuditLog audit;

    KeyEvents(AuditLog audit) {
        this.audit = audit;
    }

    AuditLog audit() {
        return audit;
    }

    /**
     * Appends the line of {@code event}.
     *
     * @param e the key's inventory entry, or null when there is none (a failed generation)
     * @throws IllegalStateException the audit log failed
     */
    void record(
            String event, String keyId, String role, String gun, KeyInventory.Entry e, String result, String message) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        if (e != null) {
            d.put("token", e.tokenName());
            if (e.tokenSerial() != null) {
                d.put("tokenSerial", e.tokenSerial());
            }
        }
        try {
            audit.append(AuditRecord.builder(event)
                    .caller(
                            UnixAccounts.selfUid(),
                            UnixAccounts.selfGid(),
                            ProcessHandle.current().pid())
                    .keyId(keyId)
                    .role(role)
                    .gun(gun)
                    .result(result)
                    .message(message)
                    .details(d)
                    .build());
        } catch (IOException ex) {
            throw new IllegalStateException("audit log failed: " + ex.getMessage(), ex);
        }
    }
}
