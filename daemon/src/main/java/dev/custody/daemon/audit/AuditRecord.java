package dev.custody.daemon.audit;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * What one audit line says: who (uid, gid, pid), what (method, GUN, role, key, metadata version and
 * hash), and the outcome ({@code ok} or an error code name). {@link AuditLog} adds the sequence
 * number, time and hash chain. Null fields are left out of the line. Never put a PIN or key
 * material here.
 *
 * @param result {@code ok}, or the ErrorCode name of the failure, or an event-specific word
 * @param rule the policy rule that decided, if a policy decision was made
 * @param message a short human-readable note (denial reason, error message)
 * @param details extra structured data; keep it small
 */
public record AuditRecord(
        String method,
        Long uid,
        Long gid,
        Long pid,
        String gun,
        String role,
        String keyId,
        Long version,
        String metadataHash,
        String result,
        String rule,
        String message,
        JsonNode details) {

    public AuditRecord {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(result, "result");
    }

    public static Builder builder(String method) {
        return new Builder(method);
    }

    /** Builds a record; only {@code method} and {@code result} are required. */
    public static final class Builder {
        private final String method;
        private Long uid;
        private Long gid;
        private Long pid;
        private String gun;
        private String role;
        private String keyId;
        private Long version;
        private String metadataHash;
        private String result;
        private String rule;
        private String message;
        private JsonNode details;

        private Builder(String method) {
            this.method = method;
        }

        public Builder caller(long uid, long gid, long pid) {
            this.uid = uid;
            this.gid = gid;
            this.pid = pid;
            return this;
        }

        public Builder gun(String gun) {
            this.gun = gun;
            return this;
        }

        public Builder role(String role) {
            this.role = role;
            return this;
        }

        public Builder keyId(String keyId) {
            this.keyId = keyId;
            return this;
        }

        public Builder version(Long version) {
            this.version = version;
            return this;
        }

        public Builder metadataHash(String metadataHash) {
            this.metadataHash = metadataHash;
            return this;
        }

        public Builder result(String result) {
            this.result = result;
            return this;
        }

        public Builder rule(String rule) {
            this.rule = rule;
            return this;
        }

        public Builder message(String message) {
            this.message = message;
            return this;
        }

        public Builder details(JsonNode details) {
            this.details = details;
            return this;
        }

        public AuditRecord build() {
            return new AuditRecord(
                    method, uid, gid, pid, gun, role, keyId, version, metadataHash, result, rule, message, details);
        }
    }
}
