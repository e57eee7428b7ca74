package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/** A daemon limit was reached (connections, requests in flight for this caller, workers). */
public final class BusyException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String limit;

    /** @param limit the config name of the limit that was reached, e.g. {@code maxConnections} */
    public BusyException(String message, String limit) {
        super(ErrorCode.BUSY, message);
        this.limit = limit;
    }

    public Optional<String> limit() {
        return Optional.ofNullable(limit);
    }

    @Override
    protected ObjectNode fields() {
        return putIfPresent(super.fields(), "limit", limit);
    }
}
