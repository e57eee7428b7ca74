package dev.custody.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.Optional;

/**
 * A notice custodyd sent while a call was running, before its reply: a JSON-RPC 2.0 notification
 * {@code {"jsonrpc":"2.0","method":"notice","params":{"kind":"touch",…}}}. {@link CustodyClient}
 * hands notices to the listener set with {@link CustodyClient#onNotice}; a client ignores kinds it
 * does not know, so new kinds never break old clients.
 *
 * <p>Kinds: {@value #TOUCH} (a signature waits for a touch on a YubiKey; {@code message} says
 * "touch the YubiKey with serial N", with {@code token}, {@code serial}, {@code slot}, {@code keyId})
 * and {@value #TOUCH_DONE} (that signature has returned).
 *
 * @param kind what happened
 * @param params the whole {@code params} object, {@code kind} included
 */
public record Notice(String kind, JsonNode params) {
    /** The JSON-RPC method of a notice. */
    public static final String METHOD = "notice";
    /** Touch the YubiKey named in the notice. */
    public static final String TOUCH = "touch";
    /** The signature that asked for a touch has returned. */
    public static final String TOUCH_DONE = "touch.done";

    public Notice {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(params, "params");
    }

    /** The human-readable {@code message}, if the notice has one. */
    public Optional<String> message() {
        JsonNode m = params.get("message");
        return m != null && m.isTextual() && !m.asText().isBlank() ? Optional.of(m.asText()) : Optional.empty();
    }

    /** A text member of {@code params}, e.g. {@code serial}. */
    public Optional<String> text(String field) {
        JsonNode m = params.get(field);
        return m != null && m.isTextual() ? Optional.of(m.asText()) : Optional.empty();
    }
}
