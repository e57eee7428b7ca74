package dev.custody.protocol;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every error custodyd can answer with: a stable name (the DESIGN names) and a fixed number.
 *
 * <p>The number is the JSON-RPC {@code error.code}; the name travels as {@code error.data.name}.
 * Protocol-level errors reuse the JSON-RPC 2.0 numbers (-32600 invalid request, -32601 method not
 * found, -32603 internal error) and the implementation-defined server-error range -32000..-32099;
 * application errors are positive and grouped by thousands: 1xxx token and PIN, 2xxx policy and
 * approvals, 3xxx repository state, 4xxx Notary server.
 *
 * <p>Numbers and names never change once released; {@code ErrorCodeTest} pins both directions
 * against {@code error-codes.properties}. New codes get new numbers.
 */
public enum ErrorCode {
    /** Malformed JSON, not JSON-RPC 2.0, missing or mistyped fields. The connection stays usable. */
    BAD_REQUEST(-32600),
    /** The method name is not served by this daemon. */
    METHOD_NOT_FOUND(-32601),
    /** A bug or an unexpected failure inside the daemon; the daemon log has the details. */
    INTERNAL(-32603),
    /** A request line exceeded the size limit; the daemon closes the connection. */
    REQUEST_TOO_LARGE(-32001),
    /** Too many connections or too many requests in flight for this caller. Retry later. */
    BUSY(-32002),
    /** The client started a request line and did not finish it in time; the connection is closed. */
    REQUEST_TIMEOUT(-32003),
    /** The daemon is stopping and takes no new requests. */
    SHUTTING_DOWN(-32004),

    /** The token needs a PIN: run {@code custody token unlock}. */
    PIN_REQUIRED(1001),
    /** The PIN was rejected by the token. Never retried automatically. */
    PIN_INCORRECT(1002),
    /** The token has locked its user PIN after too many wrong tries. */
    PIN_LOCKED(1003),
    /** The configured token is not present (unplugged, or the module cannot see it). */
    TOKEN_ABSENT(1004),

    /** Policy does not allow this caller to do this. */
    POLICY_DENIED(2001),
    /** The operation waits for a custodian's approval. */
    APPROVAL_REQUIRED(2002),
    /** A custodian denied the approval, or it timed out. */
    APPROVAL_DENIED(2003),

    /** The repository, key, target, role or operation does not exist. */
    NOT_FOUND(3001),
    /** The request conflicts with the current state (already exists, concurrent change). */
    CONFLICT(3002),
    /** Metadata failed verification (signatures, thresholds, expiry, version rollback). */
    METADATA_INVALID(3003),

    /** The Notary server could not be reached. */
    SERVER_UNREACHABLE(4001);

    private static final Map<Integer, ErrorCode> BY_NUMBER =
            Arrays.stream(values()).collect(Collectors.toUnmodifiableMap(ErrorCode::number, Function.identity()));

    private final int number;

    ErrorCode(int number) {
        this.number = number;
    }

    /** The fixed JSON-RPC {@code error.code}. */
    public int number() {
        return number;
    }

    /** The code with this number, if this version of the protocol knows it. */
    public static Optional<ErrorCode> findByNumber(int number) {
        return Optional.ofNullable(BY_NUMBER.get(number));
    }

    /** The code with this name, if this version of the protocol knows it. */
    public static Optional<ErrorCode> findByName(String name) {
        return Arrays.stream(values()).filter(c -> c.name().equals(name)).findFirst();
    }
}
