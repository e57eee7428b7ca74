package dev.custody.daemon.policy;

import java.util.Optional;

/**
 * What policy decided for one action.
 *
 * @param allowed whether the action may go ahead (perhaps after an approval)
 * @param approvalRequired the action must wait for a custodian's approval
 * @param rule the deciding rule's name; null when no rule matched (always a denial)
 * @param reason one sentence for people, used in POLICY_DENIED messages and audit lines
 */
public record Decision(boolean allowed, boolean approvalRequired, String rule, String reason) {

    public Optional<String> findRule() {
        return Optional.ofNullable(rule);
    }

    /** The rule name as audit lines show it. */
    public String ruleOrNone() {
        return rule == null ? "no rule matched" : rule;
    }
}
