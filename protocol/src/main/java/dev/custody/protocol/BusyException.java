package dev.custody.protocol;

import java.util.Optional;

/** A daemon limit was reached (connections, requests in flight for this caller, workers). */
public final class BusyException extends SingleFieldException {
    private static final long serialVersionUID = 1L;

    /** @param limit the config name of the limit that was reached, e.g. {@code maxConnections} */
    public BusyException(String message, String limit) {
        super(ErrorCode.BUSY, message, "limit", limit);
    }

    public Optional<String> limit() {
        return optionalFieldValue();
    }
}
