package dev.custody.daemon.config;

import dev.custody.daemon.policy.Policy;
import dev.custody.daemon.policy.Rule;
import dev.custody.daemon.policy.UnixAccounts;
import java.util.List;
import java.util.Objects;

/**
 * The configured policy.
 *
 * @param custodianGroup the group whose members may do everything under the default policy, and
 *     who approve operations; {@code custody-admin} by default
 * @param rules configured rules in order (first match); empty means the default policy
 */
public record PolicyConfig(String custodianGroup, List<Rule> rules) {
    public PolicyConfig {
        Objects.requireNonNull(custodianGroup, "custodianGroup");
        rules = List.copyOf(rules);
    }

    /** The policy in force: the configured rules, or the default for {@code daemonUid}. */
    public Policy toPolicy(long daemonUid) {
        return rules.isEmpty() ? Policy.defaults(daemonUid, UnixAccounts.gidOf(custodianGroup)) : new Policy(rules);
    }
}
