package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custody.protocol.DaemonUnavailableException;
import dev.custody.protocol.ErrorCode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The documented exit status is a contract with scripts: pinned here. */
class ExitCodesTest {
    @Test
    void numbers_areThoseDocumented() {
        assertThat(Map.of(
                        ExitCodes.OK,
                        0,
                        ExitCodes.ERROR,
                        1,
                        ExitCodes.USAGE,
                        2,
                        ExitCodes.DAEMON_UNAVAILABLE,
                        3,
                        ExitCodes.POLICY_DENIED,
                        10,
                        ExitCodes.APPROVAL_REQUIRED,
                        11,
                        ExitCodes.TOKEN_ABSENT,
                        20,
                        ExitCodes.PIN_INCORRECT,
                        22))
                .allSatisfy((k, v) -> assertThat(k).isEqualTo(v));
        assertThat(ExitCodes.forCode(ErrorCode.POLICY_DENIED)).isEqualTo(10);
        assertThat(ExitCodes.forCode(ErrorCode.APPROVAL_REQUIRED)).isEqualTo(11);
        assertThat(ExitCodes.forCode(ErrorCode.APPROVAL_DENIED)).isEqualTo(12);
        assertThat(ExitCodes.forCode(ErrorCode.TOKEN_ABSENT)).isEqualTo(20);
        assertThat(ExitCodes.forCode(ErrorCode.PIN_REQUIRED)).isEqualTo(21);
        assertThat(ExitCodes.forCode(ErrorCode.PIN_INCORRECT)).isEqualTo(22);
        assertThat(ExitCodes.forCode(ErrorCode.PIN_LOCKED)).isEqualTo(23);
        assertThat(ExitCodes.forCode(ErrorCode.NOT_FOUND)).isEqualTo(4);
        assertThat(ExitCodes.forCode(ErrorCode.SERVER_UNREACHABLE)).isEqualTo(5);
        assertThat(ExitCodes.forCode(ErrorCode.METHOD_NOT_FOUND)).isEqualTo(8);
    }

    @Test
    void everyErrorCode_hasAnExitStatus_andTheHelpListsEveryStatus() {
        for (ErrorCode c : ErrorCode.values()) {
            int s = ExitCodes.forCode(c);
            assertThat(String.join("\n", ExitCodes.helpTable())).containsPattern("(?m)^ *" + s + " ");
        }
    }

    @Test
    void managementKeyRefused_hintNamesTheConfigNotThePin() {
        Failure f = Failure.of(
                new dev.custody.protocol.PinIncorrectException(
                        "yk1",
                        dev.custody.protocol.PinIncorrectException.Credential.MANAGEMENT_KEY,
                        null,
                        false,
                        false,
                        "token yk1: the"
                                + " YubiKey with serial 10000001 refused the PIV management key (3DES challenge-response failed)"),
                Path.of("/run/custody/custody.sock"),
                "custody");
        assertThat(f.exitCode()).isEqualTo(ExitCodes.PIN_INCORRECT);
        assertThat(f.line())
                .contains("refused the PIV management key")
                .contains("managementKey:")
                .doesNotContain("token unlock");
    }

    @Test
    void approvalRequired_hintNamesThePendingEntry_orSaysNothingWaits() {
        Path sock = Path.of("/run/custody/custody.sock");
        Failure withId =
                Failure.of(new dev.custody.protocol.ApprovalRequiredException("ap-7", "waiting"), sock, "custody");
        assertThat(withId.exitCode()).isEqualTo(ExitCodes.APPROVAL_REQUIRED);
        assertThat(withId.line())
                .isEqualTo("waiting: ask a custodian to run: custody approve ap-7 (custody pending lists" + " them)");
        Failure none =
                Failure.of(new dev.custody.protocol.ApprovalRequiredException(null, "cannot wait"), sock, "custody");
        assertThat(none.line())
                .isEqualTo("cannot wait: ask a custodian to run it, or to change the rule (custody policy" + " show)");
    }

    @Test
    void permissionDenied_saysJoinTheGroup() {
        Failure f = Failure.unreachable(
                Path.of("/run/custody/custody.sock"), DaemonUnavailableException.Reason.PERMISSION_DENIED, "custody");
        assertThat(f.exitCode()).isEqualTo(3);
        assertThat(f.line())
                .isEqualTo("cannot reach custodyd at /run/custody/custody.sock: permission denied: add yourself"
                        + " to group custody (sudo usermod -aG custody $USER, then log in again)");
    }

    @Test
    void connectionRefused_saysIsItRunning() {
        Failure f = Failure.unreachable(
                Path.of("/run/custody/custody.sock"), DaemonUnavailableException.Reason.NOT_RUNNING, "custody");
        assertThat(f.line())
                .startsWith("cannot reach custodyd at /run/custody/custody.sock: is it running?"
                        + " (systemctl status custodyd");
    }
}
