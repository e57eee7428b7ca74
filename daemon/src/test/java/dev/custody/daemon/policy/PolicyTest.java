package dev.custody.daemon.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyTest {
    private static final Subject CI = new Subject(1001, Set.of(1001L));
    private static final Subject CUSTODIAN = new Subject(1002, Set.of(1002L, 990L));
    private static final Subject STRANGER = new Subject(1003, Set.of(1003L));

    private static Rule allowCi() {
        return new Rule(
                "ci-team",
                Set.of(1001L),
                Set.of(),
                List.of(Glob.of("registry.example.com/team/*")),
                List.of(Glob.of("targets/ci")),
                Set.of(Operation.ADD, Operation.REMOVE, Operation.PUBLISH),
                Rule.Effect.ALLOW,
                false);
    }

    private static Rule custodians() {
        return new Rule("custodians", Set.of(), Set.of(990L), List.of(), List.of(), Set.of(), Rule.Effect.ALLOW, false);
    }

    private static Rule rootNeedsApproval() {
        return new Rule(
                "root-approval",
                Set.of(),
                Set.of(990L),
                List.of(),
                List.of(Glob.of("root")),
                Set.of(),
                Rule.Effect.ALLOW,
                true);
    }

    @Test
    void decide_ciWithinItsRule_isAllowedNamingTheRule() {
        Policy p = new Policy(List.of(allowCi()));
        Decision d = p.decide(CI, new Action(Operation.PUBLISH, "registry.example.com/team/app", "targets/ci"));
        assertThat(d.allowed()).isTrue();
        assertThat(d.approvalRequired()).isFalse();
        assertThat(d.rule()).isEqualTo("ci-team");
    }

    @Test
    void decide_ciOutsideItsRule_isDeniedWithNoRuleMatched() {
        Policy p = new Policy(List.of(allowCi()));
        for (Action a : List.of(
                new Action(Operation.PUBLISH, "registry.example.com/other/app", "targets/ci"),
                new Action(Operation.PUBLISH, "registry.example.com/team/app", "targets"),
                new Action(Operation.ROTATE, "registry.example.com/team/app", "targets/ci"),
                new Action(Operation.DELEGATION, "registry.example.com/team/app", "targets/ci"),
                new Action(Operation.PUBLISH, "registry.example.com/team/a/b", "targets/ci"),
                Action.of(Operation.TOKEN_UNLOCK))) {
            Decision d = p.decide(CI, a);
            assertThat(d.allowed()).as(a.toString()).isFalse();
            assertThat(d.rule()).isNull();
            assertThat(d.ruleOrNone()).isEqualTo("no rule matched");
            assertThat(d.reason()).contains("uid 1001").contains("no policy rule matched");
        }
    }

    @Test
    void decide_isFirstMatch_denyBeforeAllowWins() {
        Rule denyProd = new Rule(
                "no-prod",
                Set.of(1001L),
                Set.of(),
                List.of(Glob.of("registry.example.com/team/prod")),
                List.of(),
                Set.of(),
                Rule.Effect.DENY,
                false);
        Action prod = new Action(Operation.PUBLISH, "registry.example.com/team/prod", "targets/ci");
        assertThat(new Policy(List.of(denyProd, allowCi())).decide(CI, prod)).satisfies(d -> {
            assertThat(d.allowed()).isFalse();
            assertThat(d.rule()).isEqualTo("no-prod");
            assertThat(d.reason()).contains("denied by rule 'no-prod'");
        });
        assertThat(new Policy(List.of(allowCi(), denyProd)).decide(CI, prod).allowed())
                .as("the same rules in the other order: the allow comes first")
                .isTrue();
    }

    @Test
    void decide_groupMember_matchesGidRule() {
        Policy p = new Policy(List.of(custodians()));
        assertThat(p.decide(CUSTODIAN, new Action(Operation.ROTATE, "g", "root"))
                        .allowed())
                .isTrue();
        assertThat(p.decide(STRANGER, new Action(Operation.ROTATE, "g", "root")).allowed())
                .isFalse();
    }

    @Test
    void decide_rootRuleFirst_requiresApproval() {
        Policy p = new Policy(List.of(rootNeedsApproval(), custodians()));
        Decision root = p.decide(CUSTODIAN, new Action(Operation.ROTATE, "g", "root"));
        assertThat(root.allowed()).isTrue();
        assertThat(root.approvalRequired()).isTrue();
        assertThat(root.rule()).isEqualTo("root-approval");
        Decision targets = p.decide(CUSTODIAN, new Action(Operation.ROTATE, "g", "targets"));
        assertThat(targets.approvalRequired()).isFalse();
        assertThat(targets.rule()).isEqualTo("custodians");
    }

    @Test
    void ruleWithGuns_doesNotMatchActionsWithoutGun() {
        Policy p = new Policy(List.of(allowCi()));
        assertThat(p.decide(CI, Action.of(Operation.ADD)).allowed()).isFalse();
    }

    @Test
    void defaults_allowDaemonUidAndCustodiansOnly() {
        Policy p = Policy.defaults(999, OptionalLong.of(990));
        assertThat(p.isDefault()).isTrue();
        Action a = new Action(Operation.SIGN_RAW, "g", "root");
        assertThat(p.decide(new Subject(999, Set.of(999L)), a).rule()).isEqualTo(Policy.DEFAULT_DAEMON_RULE);
        assertThat(p.decide(CUSTODIAN, a).rule()).isEqualTo(Policy.DEFAULT_CUSTODIAN_RULE);
        assertThat(p.decide(CI, a).allowed()).isFalse();
        assertThat(Policy.defaults(999, OptionalLong.empty()).rules()).hasSize(1);
    }

    @Test
    void rule_withoutSubject_isRejected() {
        assertThatThrownBy(() -> new Rule(
                        "nobody", Set.of(), Set.of(), List.of(), List.of(), Set.of(), Rule.Effect.ALLOW, false))
                .hasMessageContaining("names no uid and no gid");
    }

    @Test
    void operation_wireNames_roundTrip() {
        for (Operation o : Operation.values()) {
            assertThat(Operation.findByWireName(o.wireName())).contains(o);
        }
        assertThat(Operation.findByWireName("sign.raw")).contains(Operation.SIGN_RAW);
        assertThat(Operation.findByWireName("SIGN_RAW")).isEmpty();
    }
}
