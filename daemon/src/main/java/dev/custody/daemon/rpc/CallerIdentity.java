package dev.custody.daemon.rpc;

import dev.custody.daemon.policy.Subject;
import java.util.Set;

/**
 * Who is on the other end of a connection, as the kernel reported it at connect time (SO_PEERCRED)
 * — never as the request claims.
 *
 * @param uid the peer's effective uid
 * @param gid the peer's effective primary gid
 * @param pid the peer's process id
 * @param groups every group of the peer: {@code gid} plus its supplementary groups
 */
public record CallerIdentity(long uid, long gid, long pid, Set<Long> groups) {
    public CallerIdentity {
        groups = Set.copyOf(groups);
        if (!groups.contains(gid)) {
            throw new IllegalArgumentException("groups must contain the primary gid " + gid);
        }
    }

    /** The identity policy decides on. */
    public Subject subject() {
        return new Subject(uid, groups);
    }

    @Override
    public String toString() {
        return "uid=" + uid + " gid=" + gid + " pid=" + pid;
    }
}
