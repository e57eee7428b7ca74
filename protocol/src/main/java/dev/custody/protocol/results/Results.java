package dev.custody.protocol.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.protocol.Protocol;

/** A result record as the socket (and the journal) carries it. */
public final class Results {
    private static final ObjectMapper MAPPER = Protocol.newMapper();

    private Results() {}

    /** {@code result} as a JSON tree, fields in declaration order. */
    public static JsonNode json(Object result) {
        return MAPPER.valueToTree(result);
    }
}
