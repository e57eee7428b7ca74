package dev.custody.daemon.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.protocol.BadRequestException;

/**
 * Reads, from a request's params, the action that policy must allow before the method runs.
 * {@link #of(Operation)} covers methods whose params name the repository as {@code gun} and the
 * role as {@code role}.
 */
@FunctionalInterface
public interface ActionResolver {
    Action resolve(JsonNode params) throws BadRequestException;

    /** The operation, with {@code params.gun} and {@code params.role} when present (strings only). */
    static ActionResolver of(Operation operation) {
        return params -> new Action(operation, optionalText(params, "gun"), optionalText(params, "role"));
    }

    /** A string member of params, or null if absent; any other type is BAD_REQUEST. */
    static String optionalText(JsonNode params, String field) throws BadRequestException {
        if (params == null || params.isNull()) {
            return null;
        }
        JsonNode v = params.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new BadRequestException("params." + field + " must be a non-empty string", "params." + field);
        }
        return v.asText();
    }
}
