package dev.custody.daemon.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A node of custodyd's YAML config with its field path, read with checks that name the path in their message. */
final class ConfigNode {
    private static final Pattern NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
    private static final Pattern DURATION = Pattern.compile("^(\\d+)\\s*(ms|s|m|h|d)$");
    private static final Pattern SIZE = Pattern.compile("^(\\d+)\\s*(B|KiB|MiB|GiB|K|M|G)?$");

    private final Path file;
    final JsonNode node;
    final String path;

    ConfigNode(Path file, JsonNode node, String path) {
        this.file = file;
        this.node = node;
        this.path = path;
    }

    /** A {@link ConfigException} at this node. */
    ConfigException fail(String problem) {
        return new ConfigException(file, path, problem);
    }

    boolean present() {
        return node != null && !node.isMissingNode();
    }

    boolean isNull() {
        return node != null && node.isNull();
    }

    ConfigNode child(String name) {
        JsonNode c = node == null ? null : node.get(name);
        return new ConfigNode(file, c, path.isEmpty() ? name : path + "." + name);
    }

    /** A required child. */
    ConfigNode field(String name) throws ConfigException {
        ConfigNode c = child(name);
        if (!c.present() || c.isNull()) {
            throw c.fail("is required");
        }
        return c;
    }

    void object() throws ConfigException {
        if (!present() || !node.isObject()) {
            throw fail("must be a mapping (key: value)" + (path.isEmpty() ? " at the top of the file" : ""));
        }
    }

    void objectOrAbsent() throws ConfigException {
        if (present() && !node.isNull()) {
            object();
        }
    }

    void allowOnly(String... known) throws ConfigException {
        if (!present() || !node.isObject()) {
            return;
        }
        Set<String> k = Set.of(known);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!k.contains(f)) {
                throw child(f).fail("unknown field (known here: " + String.join(", ", new TreeSet<>(k)) + ")");
            }
        }
    }

    List<ConfigNode> list() throws ConfigException {
        List<ConfigNode> out = new ArrayList<>();
        if (!present() || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw fail("must be a list");
        }
        for (int i = 0; i < node.size(); i++) {
            out.add(new ConfigNode(file, node.get(i), path + "[" + i + "]"));
        }
        return out;
    }

    String text() throws ConfigException {
        if (!present() || !node.isTextual()) {
            throw fail("must be a string" + (present() && !node.isNull() ? " (got " + node + "; quote it)" : ""));
        }
        return node.asText();
    }

    String optionalText(String name) throws ConfigException {
        ConfigNode c = child(name);
        if (!c.present() || c.isNull()) {
            return null;
        }
        if (c.node.isNumber()) {
            return c.node.asText(); // serials are often written unquoted
        }
        String s = c.text();
        if (s.isEmpty()) {
            throw c.fail("must not be empty");
        }
        return s;
    }

    String name(String field) throws ConfigException {
        ConfigNode c = field(field);
        String s = c.text();
        if (!NAME.matcher(s).matches()) {
            throw c.fail("\"" + s + "\" is not a name (letters, digits, '.', '_', '-'; at most 64)");
        }
        return s;
    }

    long nonNegativeLong() throws ConfigException {
        // canConvertToLong: asLong() of 2^64 is 0 (uid root), not an error
        if (!node.canConvertToExactIntegral() || !node.canConvertToLong() || node.asLong() < 0) {
            throw fail("must be a non-negative integer (got " + node + ")");
        }
        return node.asLong();
    }

    Path requiredAbsolutePath(String field) throws ConfigException {
        ConfigNode c = field(field);
        Path p;
        try {
            p = Path.of(c.text());
        } catch (InvalidPathException e) {
            throw c.fail("is not a path: " + e.getReason());
        }
        if (!p.isAbsolute()) {
            throw c.fail("\"" + c.text() + "\" must be an absolute path");
        }
        return p.normalize();
    }

    Path absolutePath(String field, Path dflt) throws ConfigException {
        ConfigNode c = child(field);
        return c.present() && !c.isNull() ? requiredAbsolutePath(field) : dflt;
    }

    <T> T choice(String field, Map<String, T> choices, T dflt) throws ConfigException {
        ConfigNode c = child(field);
        if (!c.present() || c.isNull()) {
            return dflt;
        }
        String s = c.text();
        T v = choices.get(s);
        if (v == null) {
            throw c.fail("\"" + s + "\" is not one of " + String.join(", ", new TreeSet<>(choices.keySet())));
        }
        return v;
    }

    int intIn(String field, int dflt, int min, int max) throws ConfigException {
        ConfigNode c = child(field);
        if (!c.present() || c.isNull()) {
            return dflt;
        }
        if (!c.node.canConvertToExactIntegral()) {
            throw c.fail("must be an integer (got " + c.node + ")");
        }
        if (!c.node.canConvertToLong()) {
            throw c.fail("must be between " + min + " and " + max + " (got " + c.node + ")");
        }
        long v = c.node.asLong();
        if (v < min || v > max) {
            throw c.fail("must be between " + min + " and " + max + " (got " + v + ")");
        }
        return (int) v;
    }

    Duration duration(String field, Duration dflt) throws ConfigException {
        return durationIn(field, dflt, Duration.ofMillis(1), Duration.ofDays(365));
    }

    Duration durationIn(String field, Duration dflt, Duration min, Duration max) throws ConfigException {
        ConfigNode c = child(field);
        if (!c.present() || c.isNull()) {
            return dflt;
        }
        if (c.node.isNumber()) {
            throw c.fail(c.node + " has no unit: write e.g. " + c.node + "s");
        }
        Duration d = parse(c, ConfigNode::parseDuration);
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw c.fail("must be between " + human(min) + " and " + human(max) + " (got " + c.node.asText() + ")");
        }
        return d;
    }

    long size(String field, long dflt, long min, long max) throws ConfigException {
        ConfigNode c = child(field);
        if (!c.present() || c.isNull()) {
            return dflt;
        }
        long v = c.node.canConvertToExactIntegral() ? c.node.asLong() : parse(c, ConfigNode::parseSize);
        if (v < min || v > max || (c.node.canConvertToExactIntegral() && !c.node.canConvertToLong())) {
            throw c.fail("must be between " + min + " and " + max + " bytes (got " + c.node.asText() + ")");
        }
        return v;
    }

    private <T> T parse(ConfigNode c, Function<String, T> parser) throws ConfigException {
        String s = c.text();
        try {
            return parser.apply(s);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw c.fail(e.getMessage());
        }
    }

    static Duration parseDuration(String s) {
        Matcher m = DURATION.matcher(s.trim());
        if (m.matches()) {
            long v = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(v);
                case "s" -> Duration.ofSeconds(v);
                case "m" -> Duration.ofMinutes(v);
                case "h" -> Duration.ofHours(v);
                default -> Duration.ofDays(v);
            };
        }
        try {
            return Duration.parse(s.trim());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("\"" + s + "\" is not a duration (use 500ms, 30s, 5m, 1h, 2d)");
        }
    }

    static long parseSize(String s) {
        Matcher m = SIZE.matcher(s.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("\"" + s + "\" is not a size (use 1048576, 512KiB, 1MiB)");
        }
        long v = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2);
        long mult = switch (unit) {
            case "KiB", "K" -> 1L << 10;
            case "MiB", "M" -> 1L << 20;
            case "GiB", "G" -> 1L << 30;
            default -> 1L;
        };
        return Math.multiplyExact(v, mult);
    }

    private static String human(Duration d) {
        return d.isZero() ? "0s" : d.toString().substring(2).toLowerCase(Locale.ROOT);
    }
}
