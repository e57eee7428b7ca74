package dev.custody.tuf.canonical;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Canonical JSON exactly as Notary 0.7 signs and verifies it (its vendored
 * {@code github.com/docker/go/canonical/json}, {@code MarshalCanonical}):
 *
 * <ul>
 *   <li>no whitespace between tokens;</li>
 *   <li>object keys sorted by their UTF-8 bytes (Go's string order);</li>
 *   <li>strings escape only {@code "} and {@code \}; every other character, control characters and
 *       U+2028/U+2029 included, is written as raw UTF-8 (unlike Go's {@code encoding/json}, which also
 *       escapes {@code <}, {@code >}, {@code &});</li>
 *   <li>numbers are integers written in decimal; a number with a fraction cannot be encoded (Go fails
 *       with "floating point number"). Notary verifies by decoding {@code signed} into float64 and
 *       re-encoding, so {@code 1.0} and {@code 1e3} become {@code 1} and {@code 1000}; integers beyond
 *       ±2^53 would not survive that and are refused here.</li>
 * </ul>
 *
 * <p>Parsing uses Jackson trees with duplicate keys refused, trailing tokens refused and exact decimals, so
 * that {@link #encode(JsonNode)} of {@link #parse(byte[])} is the canonical form of the input.
 */
public final class CanonicalJson {
    private static final BigInteger MAX_EXACT = BigInteger.ONE.shiftLeft(53);
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private CanonicalJson() {}

    /** The shared node factory for building trees. */
    public static JsonNodeFactory nodes() {
        return MAPPER.getNodeFactory();
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /**
     * Parses JSON text (UTF-8).
     *
     * @throws JsonProcessingException on malformed JSON, duplicate keys, trailing data or a number out of range
     */
    public static JsonNode parse(byte[] json) throws JsonProcessingException {
        try {
            JsonNode node = MAPPER.readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new JsonProcessingException("empty document") {};
            }
            return node;
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new JsonProcessingException(e.getMessage(), e) {};
        } catch (NumberFormatException e) {
            // Jackson's BigDecimal parser throws this (not a JsonProcessingException) for a number such as
            // 4e-99999999999999999999: too many exponent digits.
            throw new JsonProcessingException("number out of range", e) {};
        }
    }

    /**
     * The canonical bytes of a tree.
     *
     * @throws IllegalArgumentException if the tree holds a number that canonical JSON cannot carry
     *     (a fraction, NaN, or an integer beyond ±2^53)
     */
    public static byte[] encode(JsonNode node) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        write(node, out);
        return out.toByteArray();
    }

    /** Parse then encode: the canonical form of JSON text. */
    public static byte[] canonicalize(byte[] json) throws JsonProcessingException {
        return encode(parse(json));
    }

    /**
     * Canonical bytes with each control character (U+0000 to U+001F, which canonical JSON writes raw and JSON
     * parsers, this one's included, refuse) written as {@code &#92;u00XX}: JSON text that {@link #parse} reads
     * back to the same tree. In canonical JSON these bytes occur only inside strings.
     */
    public static byte[] escapeControlCharacters(byte[] canonical) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(canonical.length + 16);
        for (byte b : canonical) {
            if ((b & 0xff) < 0x20) {
                writeAscii(String.format("\\u%04x", b & 0xff), out);
            } else {
                out.write(b);
            }
        }
        return out.toByteArray();
    }

    private static void write(JsonNode node, ByteArrayOutputStream out) {
        switch (node.getNodeType()) {
            case OBJECT -> writeObject(node, out);
            case ARRAY -> {
                out.write('[');
                boolean first = true;
                for (JsonNode e : node) {
                    if (!first) {
                        out.write(',');
                    }
                    first = false;
                    write(e, out);
                }
                out.write(']');
            }
            case STRING -> writeString(node.textValue(), out);
            case NUMBER -> writeNumber(node, out);
            case BOOLEAN -> writeAscii(node.booleanValue() ? "true" : "false", out);
            case NULL -> writeAscii("null", out);
            default -> throw new IllegalArgumentException("cannot encode JSON node of type " + node.getNodeType());
        }
    }

    private static void writeObject(JsonNode node, ByteArrayOutputStream out) {
        List<Map.Entry<byte[], JsonNode>> entries = new ArrayList<>(node.size());
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            entries.add(Map.entry(utf8(e.getKey()), e.getValue()));
        }
        // Go sorts map keys as strings, i.e. by their UTF-8 bytes, unsigned.
        entries.sort((a, b) -> Arrays.compareUnsigned(a.getKey(), b.getKey()));
        out.write('{');
        boolean first = true;
        for (Map.Entry<byte[], JsonNode> e : entries) {
            if (!first) {
                out.write(',');
            }
            first = false;
            writeStringBytes(e.getKey(), out);
            out.write(':');
            write(e.getValue(), out);
        }
        out.write('}');
    }

    private static void writeNumber(JsonNode node, ByteArrayOutputStream out) {
        BigInteger value;
        if (node.isIntegralNumber()) {
            value = node.bigIntegerValue();
        } else if (node.isBigDecimal()) {
            // Decided on precision and scale before expanding: 1e99999999 (11 bytes) would otherwise take
            // minutes and hundreds of MB to turn into a BigInteger or a plain string.
            BigDecimal d = node.decimalValue().stripTrailingZeros();
            if (d.scale() > 0) {
                throw new IllegalArgumentException(
                        "floating point number " + d + " cannot be encoded as canonical JSON");
            }
            if (d.precision() - d.scale() > MAX_EXACT.toString().length()) {
                throw new IllegalArgumentException("integer " + d + " is beyond ±2^53, which Notary cannot verify");
            }
            value = d.toBigIntegerExact();
        } else {
            double d = node.doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d) || Math.floor(d) != d) {
                throw new IllegalArgumentException(
                        "floating point number " + d + " cannot be encoded as canonical JSON");
            }
            value = BigDecimal.valueOf(d).toBigIntegerExact();
        }
        if (value.abs().compareTo(MAX_EXACT) > 0) {
            throw new IllegalArgumentException("integer " + value + " is beyond ±2^53, which Notary cannot verify");
        }
        writeAscii(value.toString(), out);
    }

    private static void writeString(String s, ByteArrayOutputStream out) {
        writeStringBytes(utf8(s), out);
    }

    private static void writeStringBytes(byte[] b, ByteArrayOutputStream out) {
        out.write('"');
        for (byte c : b) {
            if (c == '"' || c == '\\') {
                out.write('\\');
            }
            out.write(c);
        }
        out.write('"');
    }

    /** UTF-8 with each unpaired surrogate as U+FFFD, as Go's decoder turns it into. */
    static byte[] utf8(String s) {
        boolean clean = true;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                clean = false;
                break;
            }
        }
        if (clean) {
            return s.getBytes(StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                sb.append('\uFFFD');
            } else {
                sb.append(c);
            }
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void writeAscii(String s, ByteArrayOutputStream out) {
        for (int i = 0; i < s.length(); i++) {
            out.write(s.charAt(i));
        }
    }
}
