package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import dev.custody.tuf.canonical.CanonicalJson;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/** Field access for the model: every missing or mistyped field becomes a {@link MalformedMetadataException}. */
final class Json {
    private Json() {}

    static ObjectNode object(JsonNode n, String what, String role) throws MalformedMetadataException {
        if (n == null || !n.isObject()) {
            throw new MalformedMetadataException(role, what + " must be an object");
        }
        return (ObjectNode) n;
    }

    static JsonNode required(ObjectNode o, String field, String role) throws MalformedMetadataException {
        JsonNode n = o.get(field);
        if (n == null) {
            throw new MalformedMetadataException(role, "missing field '" + field + "'");
        }
        return n;
    }

    static String text(ObjectNode o, String field, String role) throws MalformedMetadataException {
        return typed(o, field, role, JsonNode::isTextual, "a string").textValue();
    }

    /** The required {@code field}, which must be of the kind {@code is} accepts ({@code kind} names it). */
    private static JsonNode typed(ObjectNode o, String field, String role, Predicate<JsonNode> is, String kind)
            throws MalformedMetadataException {
        JsonNode n = required(o, field, role);
        if (!is.test(n)) {
            throw new MalformedMetadataException(role, "'" + field + "' must be " + kind);
        }
        return n;
    }

    static long integer(JsonNode n, String field, String role) throws MalformedMetadataException {
        if (n == null || !n.isNumber()) {
            throw new MalformedMetadataException(role, "'" + field + "' must be a number");
        }
        if (n.isIntegralNumber() && n.canConvertToLong()) {
            return n.longValue();
        }
        try {
            return n.decimalValue().stripTrailingZeros().longValueExact();
        } catch (ArithmeticException e) {
            throw new MalformedMetadataException(role, "'" + field + "' must be an integer");
        }
    }

    static int int32(ObjectNode o, String field, String role) throws MalformedMetadataException {
        long v = integer(required(o, field, role), field, role);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new MalformedMetadataException(role, "'" + field + "' out of range");
        }
        return (int) v;
    }

    static boolean bool(ObjectNode o, String field, String role) throws MalformedMetadataException {
        return typed(o, field, role, JsonNode::isBoolean, "a boolean").booleanValue();
    }

    static OffsetDateTime time(ObjectNode o, String field, String role) throws MalformedMetadataException {
        String t = text(o, field, role);
        try {
            return GoTime.parse(t);
        } catch (RuntimeException e) {
            throw new MalformedMetadataException(role, "'" + field + "' is not an RFC 3339 time: " + t);
        }
    }

    static List<String> strings(JsonNode n, String field, String role) throws MalformedMetadataException {
        if (n == null || !n.isArray()) {
            throw new MalformedMetadataException(role, "'" + field + "' must be an array of strings");
        }
        List<String> out = new ArrayList<>(n.size());
        for (JsonNode e : n) {
            if (!e.isTextual()) {
                throw new MalformedMetadataException(role, "'" + field + "' must be an array of strings");
            }
            out.add(e.textValue());
        }
        return List.copyOf(out);
    }

    static byte[] base64(String text, String field, String role) throws MalformedMetadataException {
        byte[] b;
        try {
            b = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new MalformedMetadataException(role, "'" + field + "' is not base64");
        }
        // Go's StdEncoding is strict (padding required); keep the text re-encodable byte for byte.
        if (!Base64.getEncoder().encodeToString(b).equals(text)) {
            throw new MalformedMetadataException(role, "'" + field + "' is not standard padded base64");
        }
        return b;
    }

    /** Fields of {@code o} not in {@code known}, deep-copied, in key order. */
    static Map<String, JsonNode> extras(ObjectNode o, Set<String> known) {
        Map<String, JsonNode> out = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : o.properties()) {
            if (!known.contains(e.getKey())) {
                out.put(e.getKey(), e.getValue().deepCopy());
            }
        }
        return Collections.unmodifiableMap(out);
    }

    static Map<String, JsonNode> copyExtras(Map<String, JsonNode> extra) {
        if (extra == null || extra.isEmpty()) {
            return Map.of();
        }
        Map<String, JsonNode> out = new TreeMap<>();
        extra.forEach((k, v) -> out.put(k, v.deepCopy()));
        return Collections.unmodifiableMap(out);
    }

    /** A new object holding the extras; known fields are put on top. */
    static ObjectNode withExtras(Map<String, JsonNode> extra) {
        ObjectNode o = CanonicalJson.object();
        extra.forEach((k, v) -> o.set(k, v.deepCopy()));
        return o;
    }

    static ArrayNode stringArray(List<String> values) {
        ArrayNode a = CanonicalJson.nodes().arrayNode();
        values.forEach(a::add);
        return a;
    }

    static <V> Map<String, V> sortedCopy(Map<String, V> m) {
        return Collections.unmodifiableMap(new TreeMap<>(m));
    }
}
