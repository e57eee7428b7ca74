package dev.custody.tuf.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.custody.tuf.MalformedMetadataException;
import dev.custody.tuf.TufException;
import dev.custody.tuf.WrongTypeException;
import dev.custody.tuf.canonical.CanonicalJson;
import java.util.Arrays;
import java.util.List;

/**
 * TUF metadata parsing under any bytes (README "Fuzzing"). The first byte picks the role, the rest is the
 * file. {@link Signed#parse} refuses with {@link MalformedMetadataException} or {@link WrongTypeException}
 * only; what it accepts is written back ({@link Signed#toBytes}) into a file that parses to the same
 * canonical bytes and signatures and writes the same bytes again; and the model's own serialization
 * ({@link Metadata#toJson}) is read back, keeps version and expiry instant, and is a fixed point.
 *
 * <p>Seeds (a role byte, then a file notary's format) and kept findings:
 * {@code src/test/resources/dev/custody/tuf/model/MetadataFuzzTestInputs/}.
 */
class MetadataFuzzTest {
    private static final List<String> ROLES = List.of("root", "targets", "snapshot", "timestamp", "targets/releases");

    @FuzzTest(maxDuration = "10m")
    void parse_anyFile(byte[] input) throws TufException {
        if (input.length == 0) {
            return;
        }
        String role = ROLES.get((input[0] & 0xff) % ROLES.size());
        byte[] file = Arrays.copyOfRange(input, 1, input.length);
        Signed<? extends Metadata> s;
        try {
            s = Signed.parse(file, role);
        } catch (MalformedMetadataException | WrongTypeException e) {
            return;
        }
        byte[] canonical = s.canonical();
        assertArrayEquals(
                canonical,
                CanonicalJson.encode(parseJson(CanonicalJson.escapeControlCharacters(canonical))),
                "canonical bytes are not canonical");

        byte[] written = s.toBytes();
        Signed<? extends Metadata> back = Signed.parse(written, role);
        assertArrayEquals(canonical, back.canonical(), "toBytes changed the signed bytes");
        assertEquals(s.signatures(), back.signatures(), "toBytes changed the signatures");
        assertArrayEquals(written, back.toBytes(), "toBytes is not a fixed point");

        Signed<? extends Metadata> rebuilt = Signed.unsigned(role, s.signed());
        Signed<? extends Metadata> again = Signed.parse(rebuilt.toBytes(), role);
        assertArrayEquals(rebuilt.canonical(), again.canonical(), "the model's serialization is not a fixed point");
        assertArrayEquals(
                rebuilt.canonical(), CanonicalJson.encode(again.signed().toJson()));
        assertEquals(s.signed().version(), again.signed().version());
        assertEquals(s.signed().expires().toInstant(), again.signed().expires().toInstant(), "expiry moved");
    }

    private static com.fasterxml.jackson.databind.JsonNode parseJson(byte[] b) {
        try {
            return CanonicalJson.parse(b);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError("canonical bytes do not parse", e);
        }
    }
}
