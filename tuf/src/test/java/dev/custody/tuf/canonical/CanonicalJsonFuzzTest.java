package dev.custody.tuf.canonical;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;

/**
 * Canonical JSON under any bytes (README "Fuzzing"): {@link CanonicalJson#parse} refuses with
 * {@link JsonProcessingException} only, {@link CanonicalJson#encode} with {@link IllegalArgumentException}
 * for numbers only, and the canonical form is a fixed point: valid UTF-8 that, read back (control characters
 * escaped, as files carry them), canonicalizes to itself. A number with a huge exponent ({@code 1e99999999})
 * must be refused at once, not expanded.
 *
 * <p>Seeds and kept findings: {@code src/test/resources/dev/custody/tuf/canonical/CanonicalJsonFuzzTestInputs/}.
 */
class CanonicalJsonFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void canonicalize_anyBytes(byte[] raw) throws JsonProcessingException {
        JsonNode tree;
        try {
            tree = CanonicalJson.parse(raw);
        } catch (JsonProcessingException e) {
            return;
        }
        byte[] canonical;
        try {
            canonical = CanonicalJson.encode(tree);
        } catch (IllegalArgumentException e) {
            String m = String.valueOf(e.getMessage());
            assertTrue(m.startsWith("floating point number") || m.startsWith("integer "), m);
            assertTrue(m.length() < 200, "the message quotes the number whole: " + m.length() + " chars");
            return;
        }
        String text = new String(canonical, StandardCharsets.UTF_8);
        assertArrayEquals(canonical, text.getBytes(StandardCharsets.UTF_8), "canonical JSON is not valid UTF-8");
        JsonNode back = CanonicalJson.parse(CanonicalJson.escapeControlCharacters(canonical));
        assertArrayEquals(canonical, CanonicalJson.encode(back), "canonical JSON is not a fixed point");
        assertEquals(tree.getNodeType(), back.getNodeType());
        assertEquals(tree.size(), back.size());
    }
}
