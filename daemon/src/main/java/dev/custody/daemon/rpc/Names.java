package dev.custody.daemon.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.protocol.BadRequestException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * The names custodyd accepts, checked at the door: when a request arrives ({@link Dispatcher#parse}),
 * before any method runs, for every method. A name that would be staged and then break every publish
 * of its GUN, or print as fake table rows, is refused with BAD_REQUEST naming the field.
 *
 * <ul>
 *   <li>The request line is UTF-8: strict (no overlong forms, no encoded surrogates, no invalid bytes),
 *       no byte order mark and no NUL byte, so UTF-16 and UTF-32 requests are refused.
 *   <li>No string anywhere in {@code params} holds a lone surrogate (escaped as {@code \\ud800} in JSON).
 *   <li>GUNs ({@code gun}), target names ({@code target}, {@code targets[].name}) and role names
 *       ({@code role}, {@code roles[]}, {@code paths[]} are not names) hold no control character (C0, DEL,
 *       C1) and no empty, {@code .} or {@code ..} path segment; a GUN at most 255 bytes, a target name at
 *       most 1024, a role at most 255.
 *   <li>Token names and key labels ({@code token}, {@code label}) hold no control character and at most
 *       255 bytes.
 * </ul>
 */
public final class Names {
    static final int MAX_GUN_BYTES = 255;
    static final int MAX_TARGET_BYTES = 1024;
    static final int MAX_ROLE_BYTES = 255;
    static final int MAX_LABEL_BYTES = 255;

    private Names() {}

    /** Refuses a request line that is not strict UTF-8 (UTF-16/32, a BOM, NUL bytes, invalid sequences). */
    public static void requireUtf8(byte[] line) throws BadRequestException {
        if (line.length >= 2
                && ((line[0] & 0xff) == 0xfe && (line[1] & 0xff) == 0xff
                        || (line[0] & 0xff) == 0xff && (line[1] & 0xff) == 0xfe)) {
            throw new BadRequestException(
                    "the request is UTF-16 or UTF-32 (byte order mark): custodyd reads UTF-8 only", "request");
        }
        if (line.length >= 3 && (line[0] & 0xff) == 0xef && (line[1] & 0xff) == 0xbb && (line[2] & 0xff) == 0xbf) {
            throw new BadRequestException(
                    "the request starts with a byte order mark: send UTF-8 without one", "request");
        }
        for (int i = 0; i < line.length; i++) {
            if (line[i] == 0) {
                throw new BadRequestException(
                        "the request has a NUL byte at byte " + (i + 1) + " (UTF-16 or UTF-32?):"
                                + " custodyd reads UTF-8 only",
                        "request");
            }
        }
        try {
            StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(line));
        } catch (CharacterCodingException e) {
            throw new BadRequestException(
                    "the request is not valid UTF-8 (invalid or overlong byte sequence)", "request");
        }
    }

    /** Checks every name in {@code params} (see the class comment); a no-op for absent params. */
    public static void checkParams(JsonNode params) throws BadRequestException {
        if (params != null && params.isObject()) {
            walk(params, "params", null);
        }
    }

    private static void walk(JsonNode n, String path, String field) throws BadRequestException {
        if (n.isTextual()) {
            checkString(path, field, n.asText());
        } else if (n.isArray()) {
            int i = 0;
            for (JsonNode e : n) {
                walk(e, path + "[" + i++ + "]", field);
            }
        } else if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                noLoneSurrogate(path, e.getKey());
                // a target of a batch: targets[].name is a target name
                String f = "targets".equals(field) && "name".equals(e.getKey()) ? "target" : e.getKey();
                walk(e.getValue(), path + "." + e.getKey(), f);
            }
        }
    }

    private static void checkString(String path, String field, String v) throws BadRequestException {
        noLoneSurrogate(path, v);
        if (field == null) {
            return;
        }
        switch (field) {
            case "gun" -> pathName(path, v, "GUN", MAX_GUN_BYTES);
            case "target" -> pathName(path, v, "target name", MAX_TARGET_BYTES);
            case "role", "roles" -> pathName(path, v, "role name", MAX_ROLE_BYTES);
            case "token", "label" -> plainName(path, v, "name", MAX_LABEL_BYTES);
            default -> {}
        }
    }

    /** A GUN, target or role name: no control character, no empty, {@code .} or {@code ..} segment. */
    public static void pathName(String path, String v, String what, int maxBytes) throws BadRequestException {
        plainName(path, v, what, maxBytes);
        String[] segments = v.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            if (s.isEmpty() || s.equals(".") || s.equals("..")) {
                throw new BadRequestException(
                        path + ": " + what + " " + quote(v) + " has " + (s.isEmpty() ? "an empty" : "a '" + s + "'")
                                + " path segment (segment " + (i + 1) + ")",
                        path);
            }
        }
    }

    /** A name: not empty, at most {@code maxBytes} bytes of UTF-8, no control character. */
    public static void plainName(String path, String v, String what, int maxBytes) throws BadRequestException {
        noLoneSurrogate(path, v);
        if (v.isEmpty()) {
            throw new BadRequestException(path + ": " + what + " must not be empty", path);
        }
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                throw new BadRequestException(
                        path + ": " + what + " " + quote(v) + " has a control character (U+"
                                + String.format("%04X", (int) c) + ") at position " + (i + 1),
                        path);
            }
        }
        int bytes = v.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxBytes) {
            throw new BadRequestException(
                    path + ": " + what + " is " + bytes + " bytes long; at most " + maxBytes, path);
        }
    }

    private static void noLoneSurrogate(String path, String v) throws BadRequestException {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < v.length() && Character.isLowSurrogate(v.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new BadRequestException(
                        path + " has a lone surrogate (U+" + String.format("%04X", (int) c) + ") at position " + (i + 1)
                                + ": not a Unicode string",
                        path);
            }
        }
    }

    /** {@code v} for an error message: control characters as {@code \\uXXXX}, at most 80 characters. */
    static String quote(String v) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < v.length() && i < 80; i++) {
            char c = v.charAt(i);
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || Character.isSurrogate(c)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append(v.length() > 80 ? "…\"" : "\"").toString();
    }
}
