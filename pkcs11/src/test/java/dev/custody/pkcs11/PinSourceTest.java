package dev.custody.pkcs11;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PinSourceTest {
    private static final TokenInfo T = new TokenInfo(0, "t", "s", "m", "x", true, true, true, false, false, false);

    @Test
    void file_readsFirstLineOnly(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("pin");
        Files.writeString(f, "s3cret\nsecond line\n");
        assertThat(PinSource.file(f).pin(T)).get().isEqualTo("s3cret".toCharArray());
    }

    @Test
    void file_missing_isPinRequiredWithoutThePath_contents(@TempDir Path dir) {
        assertThatThrownBy(() -> PinSource.file(dir.resolve("absent")).pin(T))
                .isInstanceOf(TokenException.class)
                .satisfies(e -> assertThat(((TokenException) e).code()).isEqualTo(TokenErrorCode.PIN_REQUIRED));
    }

    @Test
    void of_returnsFreshCopiesSoWipingOneDoesNotWipeTheSource() throws Exception {
        PinSource src = PinSource.of("1234".toCharArray());
        char[] first = src.pin(T).orElseThrow();
        PinSource.wipe(first);
        assertThat(first).containsOnly('\0');
        assertThat(src.pin(T)).get().isEqualTo("1234".toCharArray());
    }

    @Test
    void parse_unknownScheme_isRefused() {
        assertThatThrownBy(() -> PinSource.parse("argv:1234")).hasMessageContaining("env:VARIABLE or file:/path");
    }
}
