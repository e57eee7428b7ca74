package dev.custody.client.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.protocol.Protocol;
import dev.custody.protocol.RpcRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Plain request and response lines with jackson-core alone, without an {@code ObjectMapper}:
 * a short-lived command ({@code custody status}) would otherwise spend more time creating a mapper
 * (its default date format loads time zones and locale data) than talking to custodyd. The reading
 * is as strict as {@link Protocol#newMapper()}'s: duplicate keys, nesting deeper than
 * {@link Protocol#MAX_NESTING_DEPTH} and anything after the value are refused.
 */
final class CoreJson {
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(Protocol.MAX_NESTING_DEPTH)
                    .build())
            .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private CoreJson() {}

    /**
     * The tree of one JSON value, the node types as a mapper's {@code readTree} gives them; null when
     * {@code line} is not exactly one JSON value (the caller's mapper then says what is wrong).
     */
    static JsonNode readOrNull(byte[] line) {
        try (JsonParser p = FACTORY.createParser(line)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                return null;
            }
            JsonNode n = value(p, first);
            return p.nextToken() == null ? n : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static JsonNode value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String name = p.currentName();
                    o.set(name, value(p, p.nextToken()));
                }
                return o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    a.add(value(p, e));
                }
                return a;
            }
            case VALUE_STRING -> {
                return NODES.textNode(p.getText());
            }
            case VALUE_NUMBER_INT -> {
                return switch (p.getNumberType()) {
                    case INT -> NODES.numberNode(p.getIntValue());
                    case LONG -> NODES.numberNode(p.getLongValue());
                    default -> NODES.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getNumberType() == JsonParser.NumberType.BIG_DECIMAL
                        ? NODES.numberNode(p.getDecimalValue())
                        : NODES.numberNode(p.getDoubleValue());
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return NODES.booleanNode(t == JsonToken.VALUE_TRUE);
            }
            case VALUE_NULL -> {
                return NODES.nullNode();
            }
            default -> throw new IOException("unexpected " + t); // none in JSON text
        }
    }

    /** {@code {"jsonrpc":"2.0","id":id,"method":method}}: a request without params, as {@link RpcRequest} is written. */
    static byte[] request(long id, String method) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (JsonGenerator g = FACTORY.createGenerator(bytes)) {
            g.writeStartObject();
            g.writeStringField("jsonrpc", Protocol.JSONRPC_VERSION);
            g.writeNumberField("id", id);
            g.writeStringField("method", method);
            g.writeEndObject();
        }
        return bytes.toByteArray();
    }
}
