package dev.custody.client.cli;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Indented JSON the way Go's {@code json.MarshalIndent} writes it ({@code "key": value}, {@code []}
 * for an empty array, {@code <>&} escaped), so {@code trust inspect} prints byte for byte what
 * docker prints, and {@code --output json} looks the same.
 */
final class JsonText {
    private JsonText() {}

    /** The elements of a JSON array as text ({@link JsonNode#asText()}), in order; empty for a missing node. */
    static java.util.List<String> texts(JsonNode array) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (JsonNode n : array) {
            out.add(n.asText());
        }
        return out;
    }

    static String indent(JsonNode node, String unit) {
        StringBuilder sb = new StringBuilder();
        write(sb, node, unit, "");
        return sb.toString();
    }

    private static void write(StringBuilder sb, JsonNode n, String unit, String pad) {
        if (n.isObject()) {
            if (n.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append("{\n");
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                sb.append(pad).append(unit).append(quote(e.getKey())).append(": ");
                write(sb, e.getValue(), unit, pad + unit);
                sb.append(it.hasNext() ? ",\n" : "\n");
            }
            sb.append(pad).append('}');
        } else if (n.isArray()) {
            if (n.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append("[\n");
            for (int i = 0; i < n.size(); i++) {
                sb.append(pad).append(unit);
                write(sb, n.get(i), unit, pad + unit);
                sb.append(i < n.size() - 1 ? ",\n" : "\n");
            }
            sb.append(pad).append(']');
        } else if (n.isTextual()) {
            sb.append(quote(n.asText()));
        } else {
            sb.append(n.toString());
        }
    }

    private static String quote(String s) {
        String q = new String(JsonStringEncoder.getInstance().quoteAsString(s));
        return "\"" + q.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\"";
    }
}
