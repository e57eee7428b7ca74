package dev.custody.daemon.config;

import dev.custody.daemon.policy.Subject;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who holds a token ({@code tokens[].holders}): a signature with one of its keys waits until one of
 * them approves it ({@code pending.approve}); nobody else may approve that token's entry.
 *
 * @param uids users (by uid) who hold the token
 * @param gids groups (by gid) whose members hold the token
 */
public record TokenHolders(Set<Long> uids, Set<Long> gids) {
    /** No holders: the token signs without a holder's approval (policy approvals still apply). */
    public static final TokenHolders NONE = new TokenHolders(Set.of(), Set.of());

    public TokenHolders {
        uids = Set.copyOf(uids);
        gids = Set.copyOf(gids);
    }

    /** Whether any holder is configured. */
    public boolean any() {
        return !uids.isEmpty() || !gids.isEmpty();
    }

    /** Whether {@code subject} is one of the holders (its uid, or any of its groups). */
    public boolean includes(Subject subject) {
        return uids.contains(subject.uid()) || subject.gids().stream().anyMatch(gids::contains);
    }

    /** "uids 1001, 1002; gids 990" for messages. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        if (!uids.isEmpty()) {
            sb.append("uid ")
                    .append(String.join(
                            ", ",
                            new TreeSet<>(uids).stream().map(String::valueOf).toList()));
        }
        if (!gids.isEmpty()) {
            sb.append(sb.length() == 0 ? "" : "; ")
                    .append("gid ")
                    .append(String.join(
                            ", ",
                            new TreeSet<>(gids).stream().map(String::valueOf).toList()));
        }
        return sb.length() == 0 ? "nobody" : sb.toString();
    }
}
