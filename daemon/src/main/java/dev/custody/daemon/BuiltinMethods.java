package dev.custody.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.rpc.CallerIdentity;
import dev.custody.daemon.rpc.Params;
import dev.custody.daemon.state.PendingOperation;
import dev.custody.protocol.Methods;
import dev.custody.protocol.PingParams;
import dev.custody.protocol.PingResult;
import dev.custody.protocol.Protocol;
import dev.custody.protocol.StatusResult;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The methods every custodyd serves: {@code ping} and {@code status}. Both are open (no policy
 * check); {@code status} lists an unfinished operation only to callers whom policy lets read that
 * operation's GUN.
 */
final class BuiltinMethods {
    private final DaemonContext ctx;
    private final BooleanSupplier socketActivated;
    private final List<DaemonExtension> extensions;
    private final ObjectMapper mapper = Protocol.newMapper();

    /** @param extensions the installed extensions (read at each call: filled after construction) */
    BuiltinMethods(DaemonContext ctx, BooleanSupplier socketActivated, List<DaemonExtension> extensions) {
        this.ctx = ctx;
        this.socketActivated = socketActivated;
        this.extensions = extensions;
    }

    void register() {
        ctx.methods().registerOpen(Methods.PING, this::ping);
        ctx.methods().registerOpen(Methods.STATUS, this::status);
    }

    private JsonNode ping(CallerIdentity caller, JsonNode params) throws dev.custody.protocol.BadRequestException {
        PingParams p = Params.bind(params, PingParams.class);
        return mapper.valueToTree(new PingResult(true, p.echo()));
    }

    private JsonNode status(CallerIdentity caller, JsonNode params) throws dev.custody.protocol.BadRequestException {
        Params.bind(params, NoParams.class);
        List<StatusResult.PendingOperationInfo> pending = ctx.journal().pending().stream()
                .filter(op -> ctx.policy()
                        .decide(caller.subject(), new Action(Operation.READ, op.gun(), null))
                        .allowed())
                .map(BuiltinMethods::info)
                .toList();
        long uptime = Duration.between(ctx.startedAt(), ctx.clock().instant()).toSeconds();
        com.fasterxml.jackson.databind.node.ObjectNode out = mapper.valueToTree(new StatusResult(
                Version.get(),
                ProcessHandle.current().pid(),
                ctx.startedAt().toString(),
                Math.max(0, uptime),
                socketActivated.getAsBoolean(),
                pending,
                ctx.methods().names()));
        for (DaemonExtension e : List.copyOf(extensions)) {
            try {
                e.contributeStatus(caller, out);
            } catch (RuntimeException ex) {
                System.getLogger(BuiltinMethods.class.getName())
                        .log(System.Logger.Level.WARNING, "extension " + e.name() + " could not add to status: " + ex);
            }
        }
        return out;
    }

    private static StatusResult.PendingOperationInfo info(PendingOperation op) {
        return new StatusResult.PendingOperationInfo(
                op.id(),
                op.type(),
                op.gun(),
                op.startedAt().toString(),
                op.lastStep().map(s -> s.name()).orElse(null),
                op.steps().size());
    }

    /** {@code status} takes no params. */
    record NoParams() {}
}
