package dev.custody.daemon.policy;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * Maps callers to what they may do. <b>First match:</b> rules are tried in the order they are
 * written; the first rule that applies to both the caller and the action decides (allow, allow
 * with approval, or deny). When no rule applies, the action is denied ("no rule matched"). Put
 * narrow deny rules before broad allow rules.
 *
 * <p>With no rules configured, {@link #defaults} applies: the daemon's own uid and the custodian
 * group may do everything, nobody else anything.
 *
 * <p>Immutable and thread-safe; {@link #decide} does no I/O.
 */
public final class Policy {
    /** Name of the default rule for the daemon's own uid. */
    public static final String DEFAULT_DAEMON_RULE = "default: daemon user";
    /** Name of the default rule for the custodian group. */
    public static final String DEFAULT_CUSTODIAN_RULE = "default: custodian group";

    private final List<Rule> rules;
    private final boolean defaults;

    public Policy(List<Rule> rules) {
        this(rules, false);
    }

    private Policy(List<Rule> rules, boolean defaults) {
        this.rules = List.copyOf(rules);
        this.defaults = defaults;
    }

    /**
     * The policy when none is configured.
     *
     * @param custodianGid the custodian group, if it exists on this machine
     */
    public static Policy defaults(long daemonUid, OptionalLong custodianGid) {
        Rule self = new Rule(
                DEFAULT_DAEMON_RULE,
                Set.of(daemonUid),
                Set.of(),
                List.of(),
                List.of(),
                Set.of(),
                Rule.Effect.ALLOW,
                false);
        if (custodianGid.isEmpty()) {
            return new Policy(List.of(self), true);
        }
        Rule custodians = new Rule(
                DEFAULT_CUSTODIAN_RULE,
                Set.of(),
                Set.of(custodianGid.getAsLong()),
                List.of(),
                List.of(),
                Set.of(),
                Rule.Effect.ALLOW,
                false);
        return new Policy(List.of(self, custodians), true);
    }

    public List<Rule> rules() {
        return rules;
    }

    /** Whether this is the built-in default policy. */
    public boolean isDefault() {
        return defaults;
    }

    /**
     * Whether some rule could allow {@code subject} something (an allow rule names its uid or one of
     * its groups). A subject for which this is false can only be denied; the socket server gives it a
     * small share ({@code limits.noGrant}).
     */
    public boolean grantsAnything(Subject subject) {
        for (Rule r : rules) {
            if (r.effect() != Rule.Effect.DENY && r.appliesTo(subject)) {
                return true;
            }
        }
        return false;
    }

    /** Decides {@code action} for {@code subject}: the first applicable rule wins. */
    public Decision decide(Subject subject, Action action) {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(action, "action");
        for (Rule r : rules) {
            if (r.appliesTo(subject) && r.appliesTo(action)) {
                if (r.effect() == Rule.Effect.DENY) {
                    return new Decision(
                            false,
                            false,
                            r.name(),
                            who(subject) + " may not " + action + ": denied by rule '" + r.name() + "'");
                }
                return new Decision(
                        true,
                        r.approvalRequired(),
                        r.name(),
                        who(subject) + " may " + action + " by rule '" + r.name() + "'"
                                + (r.approvalRequired() ? " after a custodian's approval" : ""));
            }
        }
        return new Decision(
                false,
                false,
                null,
                who(subject) + " may not " + action + ": no policy rule matched (ask a custodian to add one)");
    }

    private static String who(Subject s) {
        return "uid " + s.uid() + " (groups "
                + String.join(
                        ",",
                        new TreeSet<>(s.gids()).stream().map(String::valueOf).toList()) + ")";
    }
}
