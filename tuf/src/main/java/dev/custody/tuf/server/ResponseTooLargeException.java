package dev.custody.tuf.server;

import java.util.List;
import java.util.OptionalLong;

/**
 * The response body was larger than the client's limit. Either the server declared it in
 * {@code Content-Length} (nothing was read), or it streamed more bytes than the limit (reading
 * stopped there, so a lying server cannot exhaust memory).
 */
public final class ResponseTooLargeException extends NotaryServerException {
    private static final long serialVersionUID = 1L;

    private final long limit;
    private final long declaredLength;
    private final long receivedBytes;

    /**
     * @param declaredLength the Content-Length, or -1 when there was none
     * @param receivedBytes  bytes counted before reading stopped (0 when refused on Content-Length)
     */
    public ResponseTooLargeException(String request, int status, long limit, long declaredLength, long receivedBytes) {
        super(
                Code.RESPONSE_TOO_LARGE,
                request,
                status,
                "",
                List.of(),
                describe(limit, declaredLength, receivedBytes),
                null);
        this.limit = limit;
        this.declaredLength = declaredLength;
        this.receivedBytes = receivedBytes;
    }

    private static String describe(long limit, long declared, long received) {
        if (declared >= 0 && declared > limit) {
            return "response of " + declared + " bytes (Content-Length) exceeds the " + limit + "-byte limit";
        }
        return "response exceeds the " + limit + "-byte limit (" + received + " bytes received"
                + (declared >= 0 ? ", Content-Length said " + declared : "") + ")";
    }

    public long limit() {
        return limit;
    }

    /** The Content-Length the server declared, if any. */
    public OptionalLong declaredLength() {
        return declaredLength < 0 ? OptionalLong.empty() : OptionalLong.of(declaredLength);
    }

    public long receivedBytes() {
        return receivedBytes;
    }
}
