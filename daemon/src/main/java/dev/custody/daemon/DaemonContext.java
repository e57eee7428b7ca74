package dev.custody.daemon;

import dev.custody.daemon.audit.AuditLog;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.daemon.policy.Policy;
import dev.custody.daemon.rpc.MethodRegistry;
import dev.custody.daemon.state.GunLocks;
import dev.custody.daemon.state.Journal;
import dev.custody.daemon.state.StateDirectory;
import java.time.Clock;
import java.time.Instant;

/**
 * What a running daemon offers to its method handlers and extensions. All members are thread-safe.
 *
 * @param config the validated configuration
 * @param state the locked state directory
 * @param journal the journal of multi-step operations
 * @param audit the audit log; handlers append one line per signature or key event
 * @param locks per-GUN locks; repository operations hold their GUN's lock
 * @param policy the policy in force
 * @param methods the method table; extensions register here during {@code install}
 * @param clock the clock for expiry checks and timestamps
 * @param startedAt when the daemon started
 */
public record DaemonContext(
        DaemonConfig config,
        StateDirectory state,
        Journal journal,
        AuditLog audit,
        GunLocks locks,
        Policy policy,
        MethodRegistry methods,
        Clock clock,
        Instant startedAt) {}
