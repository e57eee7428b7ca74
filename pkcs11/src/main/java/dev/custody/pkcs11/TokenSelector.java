package dev.custody.pkcs11;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which token to use: by label, by serial, or by an RFC 7512 PKCS#11 URI
 * ({@code pkcs11:token=…;serial=…;manufacturer=…;model=…;object=…;id=%01%02?module-path=…&pin-source=…}).
 * Never by slot index: SoftHSM2 and readers renumber slots.
 *
 * <p>{@code pin-value} is refused: a PIN in a URI ends up in argv, shell history and logs.
 */
public record TokenSelector(
        String label,
        String serial,
        String manufacturer,
        String model,
        String objectLabel,
        byte[] objectId,
        String modulePath,
        String pinSource) {

    public static TokenSelector byLabel(String label) {
        return new TokenSelector(label, null, null, null, null, null, null, null);
    }

    public static TokenSelector bySerial(String serial) {
        return new TokenSelector(null, serial, null, null, null, null, null, null);
    }

    /** True if this selector names a token attribute (label, serial, manufacturer or model). */
    public boolean identifiesToken() {
        return label != null || serial != null || manufacturer != null || model != null;
    }

    public boolean matches(TokenInfo t) {
        return (label == null || label.equals(t.label()))
                && (serial == null || serial.equals(t.serial()))
                && (manufacturer == null || manufacturer.equals(t.manufacturer()))
                && (model == null || model.equals(t.model()));
    }

    public Optional<byte[]> objectIdOpt() {
        return Optional.ofNullable(objectId).map(byte[]::clone);
    }

    /** Parses an RFC 7512 PKCS#11 URI. */
    public static TokenSelector parseUri(String uri) throws TokenException {
        if (!uri.startsWith("pkcs11:")) {
            throw bad(uri, "it must start with 'pkcs11:'");
        }
        String rest = uri.substring("pkcs11:".length());
        String path = rest;
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            path = rest.substring(0, q);
            query = rest.substring(q + 1);
        }
        Map<String, String> attrs = new LinkedHashMap<>();
        split(uri, path, ';', attrs);
        Map<String, String> queryAttrs = new LinkedHashMap<>();
        split(uri, query, '&', queryAttrs);
        if (queryAttrs.containsKey("pin-value")) {
            throw bad(
                    uri,
                    "pin-value is not accepted (a PIN must never be in a URI or on a command line);"
                            + " use pin-source=env:VAR or pin-source=file:/path");
        }
        for (String k : attrs.keySet()) {
            switch (k) {
                case "token",
                        "serial",
                        "manufacturer",
                        "model",
                        "object",
                        "id",
                        "type",
                        "library-manufacturer",
                        "library-description",
                        "library-version",
                        "slot-description",
                        "slot-manufacturer",
                        "slot-id" -> {}
                default -> throw bad(uri, "unknown path attribute '" + k + "'");
            }
        }
        if (attrs.containsKey("slot-id")) {
            throw bad(
                    uri,
                    "slot-id is not accepted: slot numbers change (SoftHSM2 renumbers them);"
                            + " select by token=LABEL or serial=SERIAL");
        }
        String id = attrs.get("id");
        return new TokenSelector(
                decodeText(uri, attrs.get("token")),
                decodeText(uri, attrs.get("serial")),
                decodeText(uri, attrs.get("manufacturer")),
                decodeText(uri, attrs.get("model")),
                decodeText(uri, attrs.get("object")),
                id == null ? null : decode(uri, id),
                decodeText(uri, queryAttrs.get("module-path")),
                decodeText(uri, queryAttrs.get("pin-source")));
    }

    /** Accepts a URI, {@code serial:XYZ}, or a plain label. */
    public static TokenSelector parse(String spec) throws TokenException {
        if (spec.startsWith("pkcs11:")) {
            return parseUri(spec);
        }
        if (spec.startsWith("serial:")) {
            return bySerial(spec.substring("serial:".length()));
        }
        if (spec.startsWith("label:")) {
            return byLabel(spec.substring("label:".length()));
        }
        return byLabel(spec);
    }

    private static void split(String uri, String s, char sep, Map<String, String> into) throws TokenException {
        if (s.isEmpty()) {
            return;
        }
        for (String part : s.split(String.valueOf(sep), -1)) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw bad(uri, "attribute '" + part + "' has no name=value form");
            }
            String k = part.substring(0, eq);
            if (into.put(k, part.substring(eq + 1)) != null) {
                throw bad(uri, "attribute '" + k + "' appears twice");
            }
        }
    }

    private static String decodeText(String uri, String v) throws TokenException {
        return v == null ? null : new String(decode(uri, v), StandardCharsets.UTF_8);
    }

    private static byte[] decode(String uri, String v) throws TokenException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '%') {
                if (i + 2 >= v.length()) {
                    throw bad(uri, "truncated percent-escape in '" + v + "'");
                }
                try {
                    out.write(HexFormat.fromHexDigits(v, i + 1, i + 3));
                } catch (NumberFormatException e) {
                    throw bad(uri, "bad percent-escape in '" + v + "'");
                }
                i += 2;
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        return out.toByteArray();
    }

    private static TokenException bad(String uri, String why) {
        // never echo a PIN that someone put into the URI
        String shown = uri.replaceAll("(?i)(pin-value=)[^&;]*", "$1<redacted>");
        return new TokenException(TokenErrorCode.BAD_INPUT, "bad PKCS#11 URI '" + shown + "': " + why);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("token[");
        if (label != null) sb.append("label=").append(label).append(' ');
        if (serial != null) sb.append("serial=").append(serial).append(' ');
        if (manufacturer != null)
            sb.append("manufacturer=").append(manufacturer).append(' ');
        if (model != null) sb.append("model=").append(model).append(' ');
        return sb.toString().strip() + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenSelector s
                && toString().equals(s.toString())
                && java.util.Arrays.equals(objectId, s.objectId)
                && java.util.Objects.equals(objectLabel, s.objectLabel)
                && java.util.Objects.equals(modulePath, s.modulePath)
                && java.util.Objects.equals(pinSource, s.pinSource);
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
