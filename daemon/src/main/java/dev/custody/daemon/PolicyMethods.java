package dev.custody.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.policy.ActionResolver;
import dev.custody.daemon.policy.Glob;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.policy.Rule;
import dev.custody.daemon.rpc.CallerIdentity;
import dev.custody.daemon.rpc.Params;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.Protocol;

/**
 * {@code policy.show} (policy operation {@code policy.read}): the rules custodyd decides by. Here and
 * not in {@code policy}, which the socket layer depends on and which therefore knows no socket method.
 */
final class PolicyMethods {
    private final DaemonContext ctx;
    private final ObjectMapper mapper = Protocol.newMapper();

    PolicyMethods(DaemonContext ctx) {
        this.ctx = ctx;
    }

    record NoParams() {}

    void register() {
        ctx.methods().register("policy.show", ActionResolver.of(Operation.POLICY_READ), this::policyShow);
    }

    private JsonNode policyShow(CallerIdentity caller, JsonNode params) throws CustodyException {
        Params.bind(params, NoParams.class);
        ArrayNode rules = mapper.createArrayNode();
        for (Rule rule : ctx.policy().rules()) {
            ObjectNode n = mapper.createObjectNode();
            n.put("name", rule.name());
            rule.uids().stream().sorted().forEach(n.putArray("uids")::add);
            rule.gids().stream().sorted().forEach(n.putArray("gids")::add);
            ArrayNode guns = n.putArray("guns");
            rule.guns().stream().map(Glob::pattern).forEach(guns::add);
            ArrayNode roles = n.putArray("roles");
            rule.roles().stream().map(Glob::pattern).forEach(roles::add);
            ArrayNode ops = n.putArray("operations");
            rule.operations().stream().map(Operation::wireName).sorted().forEach(ops::add);
            n.put("effect", rule.effect().name().toLowerCase(java.util.Locale.ROOT));
            n.put("approval", rule.approvalRequired() ? "required" : "none");
            rules.add(n);
        }
        ObjectNode r = mapper.createObjectNode();
        r.set("rules", rules);
        r.put("defaultRule", "deny (no rule matched)");
        r.put("isDefaultPolicy", ctx.policy().isDefault());
        return r;
    }
}
