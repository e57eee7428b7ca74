package dev.custody.tuf.ceremony;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.TufException;
import dev.custody.tuf.canonical.CanonicalJson;
import dev.custody.tuf.model.Digests;
import java.util.Base64;
import java.util.Map;

/**
 * Ceremony bundle parsing under any bytes (README "Fuzzing"). {@link Bundle#parse} refuses with
 * {@link MalformedBundleException} or {@link BundleTamperedException} only; a bundle it accepts writes
 * ({@link Bundle#toBytes}) a file that parses to an equal bundle and the same bytes. Each input is also tried
 * with its recorded lengths and hashes recomputed, as an attacker who knows the format would, so that the
 * fuzzer reaches the metadata inside.
 *
 * <p>Seeds (bundles of {@code Ceremony.prepareRotateRoot} and {@code prepareRotateTargets}) and kept
 * findings: {@code src/test/resources/dev/custody/tuf/ceremony/BundleFuzzTestInputs/}.
 */
class BundleFuzzTest {
    @FuzzTest(maxDuration = "10m")
    void parse_anyBytes(byte[] raw) throws TufException {
        check(raw);
        byte[] fixed = withHashesRecomputed(raw);
        if (fixed != null) {
            check(fixed);
        }
    }

    private static void check(byte[] raw) throws TufException {
        Bundle b;
        try {
            b = Bundle.parse(raw);
        } catch (MalformedBundleException | BundleTamperedException e) {
            return;
        }
        byte[] written = b.toBytes();
        Bundle back = Bundle.parse(written);
        assertEquals(b, back, "toBytes does not parse back to the same bundle");
        assertArrayEquals(written, back.toBytes(), "toBytes is not a fixed point");
        assertEquals(b.changes().keySet(), back.changes().keySet());
    }

    /** The bundle with base lengths/hashes and new hashes set to what they describe; null if not a JSON object. */
    private static byte[] withHashesRecomputed(byte[] raw) {
        JsonNode root;
        try {
            root = CanonicalJson.parse(raw);
        } catch (JsonProcessingException e) {
            return null;
        }
        if (!(root instanceof ObjectNode o)) {
            return null;
        }
        if (o.get("base") instanceof ObjectNode base) {
            for (Map.Entry<String, JsonNode> e : base.properties()) {
                if (e.getValue() instanceof ObjectNode f && f.path("file").isTextual()) {
                    byte[] file;
                    try {
                        file = Base64.getDecoder().decode(f.get("file").textValue());
                    } catch (IllegalArgumentException ex) {
                        continue;
                    }
                    f.put("length", file.length);
                    f.put("sha256", Digests.sha256Hex(file));
                }
            }
        }
        if (o.get("new") instanceof ObjectNode changes) {
            for (Map.Entry<String, JsonNode> e : changes.properties()) {
                if (e.getValue() instanceof ObjectNode n && n.get("signed") instanceof ObjectNode signed) {
                    try {
                        n.put("sha256", Digests.sha256Hex(CanonicalJson.encode(signed)));
                    } catch (IllegalArgumentException ex) {
                        // a number canonical JSON cannot carry: parse refuses it either way
                    }
                }
            }
        }
        try {
            return CanonicalJson.encode(o);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
