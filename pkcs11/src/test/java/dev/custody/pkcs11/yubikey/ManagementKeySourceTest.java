package dev.custody.pkcs11.yubikey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManagementKeySourceTest {
    private static final TokenInfo YK = new TokenInfo(
            0,
            "YubiKey PIV #1",
            "1",
            YubikeyProfile.MANUFACTURER,
            "YubiKey YK5",
            true,
            true,
            true,
            false,
            false,
            false);
    private static final String KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978";

    @TempDir
    Path tmp;

    @Test
    void sources_giveFreshCopies() throws Exception {
        char[] held = KEY.toCharArray();
        ManagementKeySource s = ManagementKeySource.of(held);
        held[0] = 'x'; // the source copied it
        char[] a = s.managementKey(YK).orElseThrow();
        a[1] = 'y'; // the caller wipes its copy
        assertThat(new String(s.managementKey(YK).orElseThrow())).isEqualTo(KEY);
        assertThat(ManagementKeySource.none().managementKey(YK)).isEmpty();
        assertThat(new String(
                        ManagementKeySource.wellKnownDefault().managementKey(YK).orElseThrow()))
                .isEqualTo("010203040506070801020304050607080102030405060708");
    }

    @Test
    void file_readsTheFirstLine_andSaysWhenItCannot() throws Exception {
        Path f = tmp.resolve("mgm");
        Files.writeString(f, KEY + "\nsecond line\n");
        assertThat(new String(ManagementKeySource.file(f).managementKey(YK).orElseThrow()))
                .isEqualTo(KEY);
        assertThat(new String(
                        ManagementKeySource.parse("file:" + f).managementKey(YK).orElseThrow()))
                .isEqualTo(KEY);
        assertThat(new String(ManagementKeySource.parse(f.toString())
                        .managementKey(YK)
                        .orElseThrow()))
                .isEqualTo(KEY);
        Files.writeString(f, "");
        assertThat(ManagementKeySource.file(f).managementKey(YK)).isEmpty();
        assertThatThrownBy(
                        () -> ManagementKeySource.file(tmp.resolve("missing")).managementKey(YK))
                .isInstanceOfSatisfying(
                        TokenException.class, e -> assertThat(e.code()).isEqualTo(TokenErrorCode.PIN_REQUIRED))
                .hasMessageContaining("management key file");
    }

    @Test
    void parse_knowsEnvFileAndDefault() throws Exception {
        assertThat(ManagementKeySource.isDefault(
                        ManagementKeySource.parse("default").managementKey(YK).orElseThrow()))
                .isTrue();
        assertThat(ManagementKeySource.parse("env:CUSTODY_TEST_NO_SUCH_VARIABLE")
                        .managementKey(YK))
                .isEmpty();
        assertThatThrownBy(() -> ManagementKeySource.parse(KEY))
                .isInstanceOfSatisfying(
                        TokenException.class, e -> assertThat(e.code()).isEqualTo(TokenErrorCode.BAD_INPUT))
                .hasMessageNotContaining(KEY);
    }

    @Test
    void isDefault_andIsWellFormed() {
        assertThat(ManagementKeySource.isDefault(
                        ManagementKeySource.DEFAULT_KEY_HEX.toUpperCase().toCharArray()))
                .isTrue();
        assertThat(ManagementKeySource.isDefault(KEY.toCharArray())).isFalse();
        assertThat(ManagementKeySource.isDefault(new char[3])).isFalse();
        assertThat(ManagementKeySource.isWellFormed(KEY.toCharArray())).isTrue();
        assertThat(ManagementKeySource.isWellFormed(KEY.substring(2).toCharArray()))
                .isFalse();
        assertThat(ManagementKeySource.isWellFormed(KEY.replace('f', 'g').toCharArray()))
                .isFalse();
    }
}
