package dev.custody.daemon;

import dev.custody.daemon.state.PendingOperation;

/**
 * The extension point for what custodyd serves beyond its built-in methods: token methods
 * ({@code token.*}, {@code key.*}), repository operations ({@code repo.*}, {@code delegation.*}),
 * approvals. custodyd's own are made by {@link StandardExtensions}; others are found with
 * {@link java.util.ServiceLoader} (a
 * {@code META-INF/services/dev.custody.daemon.DaemonExtension} entry) or passed to
 * {@link Daemon#start} directly.
 *
 * <p>Lifecycle: {@link #install} for each extension, in order, before the socket serves →
 * {@link #recover} for each unfinished journaled operation → serving → {@link #close} in reverse
 * order after the socket stopped.
 */
public interface DaemonExtension {
    /** A short name for logs. */
    String name();

    /** Registers this extension's methods in {@code context.methods()}. */
    void install(DaemonContext context) throws Exception;

    /**
     * Offered an operation that was journaled but did not finish (the daemon crashed or was killed).
     * Return true after resuming or rolling it back and ending it in the journal ({@code complete} or
     * {@code abort}); false if this extension does not own {@code op.type()}. Operations nobody
     * recovers stay pending and show in {@code status}.
     */
    default boolean recover(DaemonContext context, PendingOperation op) throws Exception {
        return false;
    }

    /**
     * Adds this extension's part to the {@code status} result (for example {@code tokens},
     * {@code pending}, {@code repositories}), showing only what policy lets {@code caller} read.
     * Must be quick and must not fail: {@code status} is how an operator sees a daemon in trouble.
     */
    default void contributeStatus(
            dev.custody.daemon.rpc.CallerIdentity caller, com.fasterxml.jackson.databind.node.ObjectNode status) {}

    /** Releases resources (token sessions, HTTP clients). */
    default void close() throws Exception {}
}
