package dev.custody.daemon.ceremony;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.DaemonExtension;
import dev.custody.daemon.keys.KeyService;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.ActionResolver;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.repo.RepoShared;
import dev.custody.daemon.rpc.MethodRegistry;
import dev.custody.daemon.rpc.Params;
import dev.custody.protocol.results.Results;
import java.util.Base64;
import java.util.function.Supplier;

/**
 * Air-gapped ceremonies on the socket: {@code ceremony.prepare} and {@code ceremony.publish} on the online
 * daemon, {@code ceremony.sign}, {@code ceremony.trust} and {@code ceremony.rootCert} on the offline one
 * (any daemon serves all five; the offline ones need no server). Keys come from the keys extension,
 * repository state, locks, servers and approvals from the repository extension, both given at
 * construction ({@link dev.custody.daemon.StandardExtensions}) and asked on first use.
 */
public final class CeremonyExtension implements DaemonExtension {
    private final Supplier<KeyService> keys;
    private final Supplier<RepoShared> repo;

    /**
     * @param keys the keys extension's key service
     * @param repo the repository extension's shared part ({@link dev.custody.daemon.repo.RepoExtension#shared})
     */
    public CeremonyExtension(Supplier<KeyService> keys, Supplier<RepoShared> repo) {
        this.keys = keys;
        this.repo = repo;
    }

    @Override
    public String name() {
        return "ceremony";
    }

    @Override
    public void install(DaemonContext ctx) {
        CeremonyService s = new CeremonyService(ctx, keys, repo);
        MethodRegistry m = ctx.methods();
        m.registerCall(
                "ceremony.prepare",
                params -> new Action(
                        Operation.ROTATE,
                        ActionResolver.optionalText(params, "gun"),
                        roleOf(ActionResolver.optionalText(params, "operation"))),
                call -> Results.json(s.prepare(call, Params.bind(call.params(), CeremonyParams.Prepare.class))));
        m.registerCall(
                "ceremony.sign",
                params -> new Action(Operation.ROTATE, gunOf(params), "root"),
                call -> Results.json(s.sign(call, Params.bind(call.params(), CeremonyParams.Sign.class))));
        m.registerCall(
                "ceremony.publish",
                params -> new Action(Operation.PUBLISH, gunOf(params), "root"),
                call -> Results.json(s.publish(call, Params.bind(call.params(), CeremonyParams.Publish.class))));
        m.registerCall(
                "ceremony.trust",
                params -> new Action(Operation.INIT, ActionResolver.optionalText(params, "gun"), "root"),
                call -> Results.json(s.trust(call, Params.bind(call.params(), CeremonyParams.Trust.class))));
        m.registerCall(
                "ceremony.rootCert",
                params -> new Action(Operation.KEY_GENERATE, ActionResolver.optionalText(params, "gun"), "root"),
                call -> Results.json(s.rootCert(call, Params.bind(call.params(), CeremonyParams.RootCert.class))));
    }

    /** The role whose keys an operation changes, for policy. */
    static String roleOf(String operation) {
        if (operation == null) {
            return "root";
        }
        return switch (operation) {
            case "rotate-targets" -> "targets";
            case "rotate-snapshot" -> "snapshot";
            default -> "root";
        };
    }

    /**
     * The GUN policy decides on: {@code params.gun} when given, else the {@code gun} field of the bundle (read
     * without any check; the handler checks everything before it signs).
     */
    static String gunOf(JsonNode params) throws dev.custody.protocol.BadRequestException {
        String gun = ActionResolver.optionalText(params, "gun");
        if (gun != null) {
            return gun;
        }
        String b = ActionResolver.optionalText(params, "bundle");
        if (b == null) {
            return null;
        }
        try {
            JsonNode n =
                    JsonMapper.builder().build().readTree(Base64.getDecoder().decode(b));
            JsonNode g = n == null ? null : n.get("gun");
            return g != null && g.isTextual() ? g.asText() : null;
        } catch (Exception e) {
            return null;
        }
    }
}
