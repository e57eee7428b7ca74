package dev.custody.daemon.config;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An RFC 7512 PKCS#11 URI, e.g. {@code pkcs11:token=custody;serial=0123?module-path=/usr/lib/x.so}:
 * path attributes after {@code pkcs11:} separated by {@code ;}, query attributes after {@code ?}
 * separated by {@code &}, values percent-encoded. Only parsed and checked here; the pkcs11 module
 * matches tokens with it. A {@code pin-value} attribute is refused: PINs never go in the config.
 */
public record Pkcs11Uri(String text, Map<String, String> path, Map<String, String> query) {
  private static final Set<String> PATH_ATTRS = Set.of("token", "manufacturer", "serial", "model", "library-manufacturer",
      "library-description", "library-version", "slot-description", "slot-manufacturer", "slot-id", "object", "type",
      "id");
  private static final Set<String> QUERY_ATTRS = Set.of("pin-source", "pin-value", "module-name", "module-path");

  public Pkcs11Uri {
    path = Collections.unmodifiableMap(new LinkedHashMap<>(path));
    query = Collections.unmodifiableMap(new LinkedHashMap<>(query));
  }

  /** Parses {@code text}; the message of the exception says what is wrong. */
  public static Pkcs11Uri parse(String text) {
    if (!text.startsWith("pkcs11:")) {
      throw new IllegalArgumentException("a PKCS#11 URI starts with \"pkcs11:\"");
    }
    String rest = text.substring(7);
    int q = rest.indexOf('?');
    String p = q < 0 ? rest : rest.substring(0, q);
    String qs = q < 0 ? "" : rest.substring(q + 1);
    Map<String, String> path = attrs(p, ";", PATH_ATTRS, "path");
    Map<String, String> query = attrs(qs, "&", QUERY_ATTRS, "query");
    if (query.containsKey("pin-value")) {
      throw new IllegalArgumentException("the URI contains pin-value: put the PIN in a pin source (file:, env:,"
          + " credential:) instead, never in the config");
    }
    return new Pkcs11Uri(text, path, query);
  }

  public Optional<String> token() {
    return Optional.ofNullable(path.get("token"));
  }

  public Optional<String> serial() {
    return Optional.ofNullable(path.get("serial"));
  }

  private static Map<String, String> attrs(String s, String sep, Set<String> known, String part) {
    Map<String, String> out = new LinkedHashMap<>();
    if (s.isEmpty()) {
      return out;
    }
    for (String a : s.split(java.util.regex.Pattern.quote(sep), -1)) {
      int eq = a.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("\"" + a + "\" is not name=value");
      }
      String name = a.substring(0, eq);
      if (!known.contains(name) && !name.startsWith("x-")) {
        throw new IllegalArgumentException("unknown " + part + " attribute \"" + name + "\" (RFC 7512 knows "
            + String.join(", ", new java.util.TreeSet<>(known)) + ")");
      }
      if (out.put(name, decode(a.substring(eq + 1))) != null) {
        throw new IllegalArgumentException("attribute \"" + name + "\" appears twice");
      }
    }
    return out;
  }

  private static String decode(String v) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '%') {
        if (i + 2 >= v.length()) {
          throw new IllegalArgumentException("bad percent-encoding in \"" + v + "\"");
        }
        try {
          out.write(Integer.parseInt(v.substring(i + 1, i + 3), 16));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("bad percent-encoding in \"" + v + "\"");
        }
        i += 2;
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
