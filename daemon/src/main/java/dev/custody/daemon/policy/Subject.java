package dev.custody.daemon.policy;

import java.util.Set;

/**
 * Who is asking, as the kernel says: the uid and every group the process is in (primary group
 * first in practice, but order does not matter).
 */
public record Subject(long uid, Set<Long> gids) {
    public Subject {
        gids = Set.copyOf(gids);
    }
}
