package dev.custody.daemon.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.policy.ActionResolver;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.rpc.CallerIdentity;
import dev.custody.daemon.rpc.Incidents;
import dev.custody.daemon.rpc.MethodRegistry;
import dev.custody.daemon.rpc.Params;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.Protocol;
import java.io.IOException;
import java.util.List;

/**
 * The audit log on the socket: {@code audit.tail} and {@code audit.verify} (policy operation
 * {@code audit.read}), as {@code docs/protocol-methods.md} lists them.
 */
public final class AuditMethods {
    private final AuditLog log;
    private final ObjectMapper mapper = Protocol.newMapper();

    public AuditMethods(AuditLog log) {
        this.log = log;
    }

    record TailParams(Integer lines) {}

    record NoParams() {}

    public void register(MethodRegistry m) {
        m.register("audit.tail", ActionResolver.of(Operation.AUDIT_READ), this::auditTail);
        m.register("audit.verify", ActionResolver.of(Operation.AUDIT_READ), this::auditVerify);
    }

    private JsonNode auditTail(CallerIdentity caller, JsonNode params) throws CustodyException {
        TailParams p = Params.bind(params, TailParams.class);
        int lines = p.lines() == null ? 20 : p.lines();
        if (lines < 1 || lines > 10_000) {
            throw new BadRequestException("params.lines must be 1..10000", "params.lines");
        }
        List<AuditEntry> entries;
        try {
            entries = log.tail(lines);
        } catch (IOException e) {
            throw Incidents.internal("cannot read the audit log: " + e.getMessage(), e);
        }
        ArrayNode out = mapper.createArrayNode();
        for (AuditEntry a : entries) {
            ObjectNode n = mapper.createObjectNode();
            n.put("seq", a.seq())
                    .put("time", a.time().toString())
                    .put("prev", a.prev())
                    .put("hash", a.hash());
            ObjectNode rec = mapper.valueToTree(a.record());
            rec.fields().forEachRemaining(f -> {
                if (!f.getValue().isNull()) {
                    n.set(f.getKey(), f.getValue());
                }
            });
            out.add(n);
        }
        ObjectNode r = mapper.createObjectNode();
        r.set("entries", out);
        return r;
    }

    private JsonNode auditVerify(CallerIdentity caller, JsonNode params) throws CustodyException {
        Params.bind(params, NoParams.class);
        AuditVerification v;
        try {
            v = log.verify();
        } catch (IOException e) {
            throw Incidents.internal("cannot read the audit log: " + e.getMessage(), e);
        }
        ObjectNode r = mapper.createObjectNode().put("ok", v.intact()).put("lines", v.linesChecked());
        v.firstBrokenLine().ifPresent(l -> r.put("firstBadLine", l));
        if (!v.intact()) {
            r.put("reason", v.reason());
        }
        return r;
    }
}
