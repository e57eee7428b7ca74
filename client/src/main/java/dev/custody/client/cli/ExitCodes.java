package dev.custody.client.cli;

import dev.custody.protocol.ErrorCode;
import java.util.EnumMap;
import java.util.Map;

/**
 * The exit status of {@code custody}, fixed once released ({@code ExitCodesTest} pins them, the
 * README and {@code custody --help} list them).
 *
 * <p>0 success, 1 any other failure (notary's own code, also a failed {@code verify}), 2 usage.
 * 3–9 say where a failure was; 10–12 policy and approvals; 20–23 token and PIN — so a CI job can
 * tell "ask a custodian" from "plug the token in" without parsing text.
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int ERROR = 1;
    public static final int USAGE = 2;
    /** The socket is missing, refuses connections, or the caller may not open it. */
    public static final int DAEMON_UNAVAILABLE = 3;

    public static final int NOT_FOUND = 4;
    public static final int SERVER_UNREACHABLE = 5;
    public static final int METADATA_INVALID = 6;
    public static final int CONFLICT = 7;
    /** The daemon does not serve this method (older custodyd, or its extension is not installed). */
    public static final int UNSUPPORTED = 8;
    /** The daemon is busy or stopping; retry later. */
    public static final int RETRY_LATER = 9;

    public static final int POLICY_DENIED = 10;
    public static final int APPROVAL_REQUIRED = 11;
    public static final int APPROVAL_DENIED = 12;
    public static final int TOKEN_ABSENT = 20;
    public static final int PIN_REQUIRED = 21;
    public static final int PIN_INCORRECT = 22;
    public static final int PIN_LOCKED = 23;

    private static final Map<ErrorCode, Integer> BY_CODE = new EnumMap<>(ErrorCode.class);

    static {
        BY_CODE.put(ErrorCode.BAD_REQUEST, ERROR);
        BY_CODE.put(ErrorCode.METHOD_NOT_FOUND, UNSUPPORTED);
        BY_CODE.put(ErrorCode.INTERNAL, ERROR);
        BY_CODE.put(ErrorCode.REQUEST_TOO_LARGE, ERROR);
        BY_CODE.put(ErrorCode.BUSY, RETRY_LATER);
        BY_CODE.put(ErrorCode.REQUEST_TIMEOUT, ERROR);
        BY_CODE.put(ErrorCode.SHUTTING_DOWN, RETRY_LATER);
        BY_CODE.put(ErrorCode.PIN_REQUIRED, PIN_REQUIRED);
        BY_CODE.put(ErrorCode.PIN_INCORRECT, PIN_INCORRECT);
        BY_CODE.put(ErrorCode.PIN_LOCKED, PIN_LOCKED);
        BY_CODE.put(ErrorCode.TOKEN_ABSENT, TOKEN_ABSENT);
        BY_CODE.put(ErrorCode.POLICY_DENIED, POLICY_DENIED);
        BY_CODE.put(ErrorCode.APPROVAL_REQUIRED, APPROVAL_REQUIRED);
        BY_CODE.put(ErrorCode.APPROVAL_DENIED, APPROVAL_DENIED);
        BY_CODE.put(ErrorCode.NOT_FOUND, NOT_FOUND);
        BY_CODE.put(ErrorCode.CONFLICT, CONFLICT);
        BY_CODE.put(ErrorCode.METADATA_INVALID, METADATA_INVALID);
        BY_CODE.put(ErrorCode.SERVER_UNREACHABLE, SERVER_UNREACHABLE);
    }

    private ExitCodes() {}

    /** The exit status for a daemon error code. */
    public static int forCode(ErrorCode code) {
        return BY_CODE.getOrDefault(code, ERROR);
    }

    /** The table printed in {@code custody --help} and the man page. */
    static String[] helpTable() {
        return new String[] {
            "  0  success",
            "  1  failure (also: verify found different content)",
            "  2  usage: bad arguments or options",
            "  3  custodyd not reachable (not running, or no permission on its socket)",
            "  4  not found (repository, target, key, role, approval, a -s server custodyd does not have)",
            "  5  Notary server unreachable",
            "  6  metadata failed verification",
            "  7  conflict with the current state",
            "  8  custodyd does not serve this command (upgrade it or install its extension)",
            "  9  custodyd busy or stopping: retry",
            " 10  POLICY_DENIED",
            " 11  APPROVAL_REQUIRED (a custodian runs custody approve ID)",
            " 12  APPROVAL_DENIED",
            " 20  TOKEN_ABSENT",
            " 21  PIN_REQUIRED (run custody token unlock)",
            " 22  PIN_INCORRECT",
            " 23  PIN_LOCKED",
        };
    }
}
