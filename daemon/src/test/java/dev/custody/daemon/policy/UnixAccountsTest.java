package dev.custody.daemon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UnixAccountsTest {
    @Test
    void lookup_rootAndNumbers() {
        assertThat(UnixAccounts.uidOf("root")).hasValue(0);
        assertThat(UnixAccounts.gidOf("root")).hasValue(0);
        assertThat(UnixAccounts.uidOf("4711")).hasValue(4711);
        assertThat(UnixAccounts.uidOf("no-such-user-custody")).isEmpty();
        assertThat(UnixAccounts.gidOf("bad name;rm")).isEmpty();
        assertThat(UnixAccounts.uidOf("")).isEmpty();
    }

    @Test
    void groupsOf_ownProcess_includesPrimaryAndSupplementary() {
        long pid = ProcessHandle.current().pid();
        long uid = UnixAccounts.selfUid();
        long gid = UnixAccounts.selfGid();
        assertThat(UnixAccounts.groupsOf(pid, uid, gid)).contains(gid);
    }

    @Test
    void groupsOf_uidMismatch_onlyPrimaryGid() {
        long pid = ProcessHandle.current().pid();
        assertThat(UnixAccounts.groupsOf(pid, UnixAccounts.selfUid() + 12345, 777))
                .containsExactly(777L);
        assertThat(UnixAccounts.groupsOf(-1, 0, 5)).containsExactly(5L);
    }
}
