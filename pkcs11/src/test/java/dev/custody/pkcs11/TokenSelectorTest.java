package dev.custody.pkcs11;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenSelectorTest {
    @Test
    void parseUri_tokenSerialIdAndQuery() throws Exception {
        TokenSelector s = TokenSelector.parse("pkcs11:token=Root%20Key%201;serial=4db39f4ae315119d;"
                + "object=root;id=%01%A2?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=env:ROOT_PIN");
        assertThat(s.label()).isEqualTo("Root Key 1");
        assertThat(s.serial()).isEqualTo("4db39f4ae315119d");
        assertThat(s.objectLabel()).isEqualTo("root");
        assertThat(s.objectIdOpt()).get().isEqualTo(new byte[] {0x01, (byte) 0xA2});
        assertThat(s.modulePath()).isEqualTo("/usr/lib/softhsm/libsofthsm2.so");
        assertThat(s.pinSource()).isEqualTo("env:ROOT_PIN");
        assertThat(s.identifiesToken()).isTrue();
    }

    @Test
    void parseUri_pinValue_isRefused() {
        assertThatThrownBy(() -> TokenSelector.parse("pkcs11:token=a?pin-value=1234"))
                .isInstanceOf(TokenException.class)
                .hasMessageContaining("pin-value is not accepted")
                .hasMessageNotContaining("1234");
    }

    @Test
    void parseUri_slotId_isRefused() {
        assertThatThrownBy(() -> TokenSelector.parse("pkcs11:slot-id=3"))
                .isInstanceOf(TokenException.class)
                .hasMessageContaining("renumbers");
    }

    @Test
    void parseUri_malformed_namesTheProblem() {
        assertThatThrownBy(() -> TokenSelector.parse("pkcs11:token")).hasMessageContaining("name=value");
        assertThatThrownBy(() -> TokenSelector.parse("pkcs11:token=a;token=b")).hasMessageContaining("twice");
        assertThatThrownBy(() -> TokenSelector.parse("pkcs11:id=%Z1")).hasMessageContaining("percent-escape");
        assertThatThrownBy(() -> TokenSelector.parse("pkcs11:id=%1")).hasMessageContaining("truncated");
        assertThatThrownBy(() -> TokenSelector.parse("pkcs11:colour=red"))
                .hasMessageContaining("unknown path attribute");
    }

    @Test
    void parse_plainLabelAndSerialPrefix() throws Exception {
        assertThat(TokenSelector.parse("ci-token").label()).isEqualTo("ci-token");
        assertThat(TokenSelector.parse("serial:abc").serial()).isEqualTo("abc");
        assertThat(TokenSelector.parse("serial:abc").label()).isNull();
    }

    @Test
    void matches_allGivenAttributes() throws Exception {
        TokenInfo t =
                new TokenInfo(7, "lbl", "ser", "SoftHSM project", "SoftHSM v2", true, true, true, false, false, false);
        assertThat(TokenSelector.parse("pkcs11:token=lbl;serial=ser").matches(t))
                .isTrue();
        assertThat(TokenSelector.parse("pkcs11:token=lbl;serial=other").matches(t))
                .isFalse();
        assertThat(TokenSelector.parse("pkcs11:manufacturer=SoftHSM%20project").matches(t))
                .isTrue();
    }
}
