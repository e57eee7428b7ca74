package dev.custody.daemon.keys;

import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.DaemonExtension;
import java.lang.System.Logger.Level;
import java.util.Optional;

/**
 * Tokens, PINs and keys for custodyd: opens the configured tokens lazily ({@link TokenManager}),
 * keeps the key inventory ({@code STATE/keys.json}), serves the {@code token.*}, {@code key.*},
 * {@code sign.raw}, {@code audit.*} and {@code policy.show} methods, and offers {@link KeyService}
 * to repository operations ({@link #findKeyService()} / {@link #keyService()}).
 */
public final class KeysExtension implements DaemonExtension {
    private static final System.Logger LOG = System.getLogger(KeysExtension.class.getName());

    private volatile DaemonContext context;
    private volatile TokenManager tokens;
    private volatile TokenKeyService service;
    private volatile KeyMethods methods;

    @Override
    public String name() {
        return "keys";
    }

    @Override
    public void install(DaemonContext context) throws Exception {
        KeyInventory inventory = KeyInventory.open(context.state().root().resolve("keys.json"));
        TokenManager tm = new TokenManager(context.config(), context.clock());
        tokens = tm;
        service = new TokenKeyService(tm, inventory, context.audit(), context.clock());
        KeyMethods km = new KeyMethods(context, service);
        km.register();
        methods = km;
        this.context = context;
        anchorAuditLog(context, inventory);
        LOG.log(
                Level.INFO,
                context.config().tokens().size() + " token(s) configured, "
                        + inventory.all().size() + " key(s) in " + inventory.file());
    }

    /**
     * With {@code audit.checkpoint} configured: checks the audit log's signed checkpoints with the audit
     * key (custodyd does not start on a log that fails) and signs checkpoints from now on.
     */
    private void anchorAuditLog(DaemonContext context, KeyInventory inventory) throws java.io.IOException {
        java.util.Optional<dev.custody.daemon.config.AuditCheckpointConfig> cp =
                context.config().auditCheckpoint();
        if (cp.isEmpty()) {
            return;
        }
        KeyInventory.Entry e = inventory
                .find(cp.get().keyId())
                .orElseThrow(() -> new IllegalStateException(
                        "audit.checkpoint.key " + cp.get().keyId() + " is not in the key inventory " + inventory.file()
                                + " (make it with `custody key generate --role audit --token NAME`)"));
        context.audit().anchor(new AuditKey(service, e), cp.get().every());
        LOG.log(
                Level.INFO,
                "audit log anchored: checkpoints signed with key " + e.keyId() + " on token " + e.tokenName()
                        + " every " + cp.get().every() + " records");
    }

    /** {@code status} shows the tokens (as {@code token.list} does) to callers allowed to list keys. */
    @Override
    public void contributeStatus(
            dev.custody.daemon.rpc.CallerIdentity caller, com.fasterxml.jackson.databind.node.ObjectNode status) {
        DaemonContext ctx = context;
        KeyMethods km = methods;
        if (ctx == null
                || km == null
                || !ctx.policy()
                        .decide(
                                caller.subject(),
                                new dev.custody.daemon.policy.Action(
                                        dev.custody.daemon.policy.Operation.KEY_LIST, null, null))
                        .allowed()) {
            return;
        }
        status.set("tokens", dev.custody.protocol.results.Results.json(km.tokenStatuses()));
    }

    /** The token key service, once installed. */
    Optional<TokenKeyService> findTokenKeyService() {
        return Optional.ofNullable(service);
    }

    /** The key service, once installed. */
    public Optional<KeyService> findKeyService() {
        return Optional.ofNullable(service);
    }

    /** The key service; throws if {@link #install} has not run. */
    public KeyService keyService() {
        return findKeyService().orElseThrow(() -> new IllegalStateException("the keys extension is not installed"));
    }

    @Override
    public void close() {
        DaemonContext c = context;
        if (c != null) {
            c.audit().checkpoint("shutdown"); // while the audit key's token is still open
        }
        TokenManager tm = tokens;
        if (tm != null) {
            tm.close();
        }
    }
}
