package dev.custody.client.cli;

import dev.custody.protocol.ApprovalRequiredException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.DaemonUnavailableException;
import dev.custody.protocol.MethodNotFoundException;
import dev.custody.protocol.PinIncorrectException;
import dev.custody.protocol.PolicyDeniedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * What {@code custody} prints and returns when a command fails: one line for stderr that says what
 * happened and what to do next, and the exit status ({@link ExitCodes}). The one place where
 * exceptions become words.
 */
record Failure(int exitCode, String line) {
    /** A failure of the user's input, found before anything was sent. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** A failure found by the CLI itself (a file that cannot be read, a digest that does not match). */
    static final class CommandException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int exitCode;

        CommandException(int exitCode, String message) {
            super(message);
            this.exitCode = exitCode;
        }

        int exitCode() {
            return exitCode;
        }
    }

    static Failure of(Throwable t, Path socket, String group) {
        if (t instanceof UsageException u) {
            return new Failure(ExitCodes.USAGE, u.getMessage());
        }
        if (t instanceof CommandException c) {
            return new Failure(c.exitCode(), c.getMessage());
        }
        if (t instanceof DaemonUnavailableException d) {
            return unreachable(d.socket() == null ? socket : d.socket(), d.reason(), group);
        }
        if (t instanceof CustodyException c) {
            return new Failure(ExitCodes.forCode(c.code()), daemonError(c, socket));
        }
        if (t instanceof NoSuchFileException f) {
            return new Failure(ExitCodes.ERROR, "no such file: " + f.getFile());
        }
        if (t instanceof java.nio.file.AccessDeniedException f) {
            return new Failure(ExitCodes.ERROR, "permission denied: " + f.getFile());
        }
        if (t instanceof IOException e) {
            return new Failure(
                    ExitCodes.ERROR,
                    "talking to custodyd at " + socket + " failed: " + e.getMessage()
                            + " (see journalctl -u custodyd)");
        }
        return new Failure(
                ExitCodes.ERROR,
                "unexpected " + t.getClass().getSimpleName() + ": " + t.getMessage()
                        + " (run again with -D for details)");
    }

    static Failure unreachable(Path socket, DaemonUnavailableException.Reason reason, String group) {
        boolean denied = reason == DaemonUnavailableException.Reason.PERMISSION_DENIED;
        Path dir = socket.toAbsolutePath().getParent();
        if (reason == DaemonUnavailableException.Reason.NO_SOCKET
                && dir != null
                && Files.isDirectory(dir)
                && !Files.isExecutable(dir)) {
            denied = true; // the directory hides the socket from us
        }
        if (denied) {
            return new Failure(
                    ExitCodes.DAEMON_UNAVAILABLE,
                    "cannot reach custodyd at " + socket
                            + ": permission denied: add yourself to group " + group + " (sudo usermod -aG " + group
                            + " $USER, then log in again)");
        }
        return new Failure(
                ExitCodes.DAEMON_UNAVAILABLE,
                "cannot reach custodyd at " + socket
                        + ": is it running? (systemctl status custodyd; --socket or $CUSTODY_SOCKET choose another socket)");
    }

    private static String daemonError(CustodyException c, Path socket) {
        String m = c.getMessage();
        return switch (c.code()) {
            case METHOD_NOT_FOUND ->
                "custodyd at " + socket + " does not serve '" + ((MethodNotFoundException) c).method()
                        + "': upgrade custodyd or enable the extension that provides it";
            case PIN_REQUIRED -> hint(m, "unlock the token first: custody token unlock");
            case PIN_INCORRECT -> {
                PinIncorrectException p = (PinIncorrectException) c;
                if (p.credential() == PinIncorrectException.Credential.MANAGEMENT_KEY) { // from custodyd's config
                    yield hint(
                            m,
                            "fix managementKey: of this token in custodyd's config (it is never retried automatically)");
                }
                String left = p.finalTry()
                        ? "the next wrong PIN locks the token; "
                        : p.triesLeft().isPresent()
                                ? p.triesLeft().getAsInt() + " tries left before the token locks; "
                                : p.countLow() ? "few tries are left before the token locks; " : "";
                yield hint(
                        m,
                        left + "check the PIN and run custody token unlock again (it is never retried automatically)");
            }
            case PIN_LOCKED -> hint(m, "the token's PIN is locked: reset it with the token's PUK/SO tools");
            case TOKEN_ABSENT -> hint(m, "plug the token in and retry; custody token list shows what custodyd sees");
            case POLICY_DENIED -> {
                PolicyDeniedException p = (PolicyDeniedException) c;
                yield hint(
                        m,
                        p.rule().map(r -> "rule '" + r + "' denies it").orElse("no policy rule allows it")
                                + "; ask a custodian (custody policy show)");
            }
            case APPROVAL_REQUIRED ->
                hint(
                        m,
                        ((ApprovalRequiredException) c)
                                .approvalId()
                                .map(id -> "ask a custodian to run: custody approve " + id
                                        + " (custody pending lists them)")
                                // no pending entry to approve: the method cannot wait, so only a custodian or the
                                // policy can help
                                .orElse("ask a custodian to run it, or to change the rule (custody policy show)"));
            case APPROVAL_DENIED ->
                hint(m, "a custodian denied it or it timed out; custody pending shows open requests");
            case SERVER_UNREACHABLE -> hint(m, "check the Notary server URL in custodyd's config and that it is up");
            case BUSY, SHUTTING_DOWN -> hint(m, "retry in a moment");
            case INTERNAL -> hint(m, "custodyd failed: see journalctl -u custodyd");
            default -> m;
        };
    }

    private static String hint(String message, String next) {
        String m = message == null ? "" : message.strip();
        if (m.isEmpty()) {
            return next;
        }
        return m.endsWith(".") ? m.substring(0, m.length() - 1) + ": " + next : m + ": " + next;
    }
}
