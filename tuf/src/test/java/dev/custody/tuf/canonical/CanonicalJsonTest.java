package dev.custody.tuf.canonical;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Canonical JSON as docker/go canonical/json MarshalCanonical writes it (checked against notary in the fixture tests). */
class CanonicalJsonTest {
    private static String canon(String json) throws JsonProcessingException {
        return new String(CanonicalJson.canonicalize(json.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    }

    @Test
    void encode_sortsKeysAndDropsWhitespace() throws Exception {
        assertThat(canon("{ \"b\" : [1, 2 ,{\"z\":null,\"a\":true}], \"a\": \"x\" }"))
                .isEqualTo("{\"a\":\"x\",\"b\":[1,2,{\"a\":true,\"z\":null}]}");
    }

    @Test
    void encode_escapesOnlyQuoteAndBackslash() throws Exception {
        // <, >, & stay raw (unlike encoding/json); escaped input is written raw
        assertThat(canon("{\"k\":\"<a>&\\\"q\\\"\\\\ \\u003c\\u0026\"}")).isEqualTo("{\"k\":\"<a>&\\\"q\\\"\\\\ <&\"}");
    }

    @Test
    void encode_writesControlCharactersAndSeparatorsRaw() throws Exception {
        assertThat(CanonicalJson.canonicalize("{\"k\":\"a\\tb\\n\\u2028\"}".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("{\"k\":\"a\tb\n\u2028\"}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void encode_sortsKeysByUtf8Bytes() throws Exception {
        // U+FF5E is EF BD 9E in UTF-8, U+1F600 is F0 9F 98 80: Go puts U+FF5E first; UTF-16 order would not
        assertThat(canon("{\"\uD83D\uDE00\":1,\"\uFF5E\":2}")).isEqualTo("{\"\uFF5E\":2,\"\uD83D\uDE00\":1}");
    }

    @Test
    void encode_unpairedSurrogateBecomesReplacementCharacter() throws Exception {
        assertThat(canon("{\"k\":\"\\ud800x\"}")).isEqualTo("{\"k\":\"\uFFFDx\"}");
    }

    @Test
    void encode_integralNumbersAsIntegers() throws Exception {
        assertThat(canon("{\"a\":1.0,\"b\":1e3,\"c\":-0,\"d\":1500000,\"e\":9007199254740992}"))
                .isEqualTo("{\"a\":1,\"b\":1000,\"c\":0,\"d\":1500000,\"e\":9007199254740992}");
    }

    @Test
    void encode_fractionRefused() {
        assertThatThrownBy(() -> canon("{\"a\":1.5}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("floating point");
    }

    @Test
    void encode_integerBeyondDoublePrecisionRefused() {
        assertThatThrownBy(() -> canon("{\"a\":9007199254740993}")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parse_duplicateKeyRefused() {
        assertThatThrownBy(() -> canon("{\"a\":1,\"a\":2}")).isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void parse_trailingDataRefused() {
        assertThatThrownBy(() -> canon("{\"a\":1} {}")).isInstanceOf(JsonProcessingException.class);
    }

    @Test
    void parse_emptyRefused() {
        assertThatThrownBy(() -> canon("")).isInstanceOf(JsonProcessingException.class);
    }
}
