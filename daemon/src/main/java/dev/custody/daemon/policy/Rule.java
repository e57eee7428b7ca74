package dev.custody.daemon.policy;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One policy rule. It applies to an action when all of these hold:
 *
 * <ul>
 *   <li>the caller's uid is in {@code uids}, or one of the caller's groups is in {@code gids} (at
 *       least one of the two is non-empty);
 *   <li>{@code guns} is empty (any GUN, or none), or the action has a GUN matching one of them;
 *   <li>{@code roles} is empty (any role, or none), or the action has a role matching one of them;
 *   <li>{@code operations} is empty (every operation) or contains the action's operation.
 * </ul>
 *
 * @param effect {@link Effect#ALLOW} or {@link Effect#DENY}
 * @param approvalRequired an allowed action still waits for a custodian's approval
 */
public record Rule(
        String name,
        Set<Long> uids,
        Set<Long> gids,
        List<Glob> guns,
        List<Glob> roles,
        Set<Operation> operations,
        Effect effect,
        boolean approvalRequired) {

    /** What a matching rule decides. */
    public enum Effect {
        ALLOW,
        DENY
    }

    public Rule {
        Objects.requireNonNull(name, "name");
        uids = Set.copyOf(uids);
        gids = Set.copyOf(gids);
        guns = List.copyOf(guns);
        roles = List.copyOf(roles);
        operations = operations.isEmpty() ? Set.of() : Set.copyOf(operations);
        Objects.requireNonNull(effect, "effect");
        if (uids.isEmpty() && gids.isEmpty()) {
            throw new IllegalArgumentException("rule '" + name + "' names no uid and no gid: it would match nobody");
        }
        if (effect == Effect.DENY && approvalRequired) {
            throw new IllegalArgumentException("rule '" + name + "' denies, so it cannot require an approval");
        }
    }

    public boolean appliesTo(Subject subject) {
        return uids.contains(subject.uid()) || subject.gids().stream().anyMatch(gids::contains);
    }

    public boolean appliesTo(Action action) {
        return (operations.isEmpty() || operations.contains(action.operation()))
                && matchesAny(guns, action.gun())
                && matchesAny(roles, action.role());
    }

    private static boolean matchesAny(List<Glob> globs, String name) {
        if (globs.isEmpty()) {
            return true;
        }
        return name != null && globs.stream().anyMatch(g -> g.matches(name));
    }
}
