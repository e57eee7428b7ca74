package dev.custody.pkcs11.yubikey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.pkcs11.EcKeys;
import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The slot ↔ CKA_ID table of ykcs11 2.2.0 ({@code ykcs11/objects.c}) and the curve check; no token needed. */
class PivSlotTest {
    @Test
    void ckaId_matchesYkcs11Table() throws Exception {
        assertThat(PivSlot.AUTHENTICATION.ckaId()).containsExactly(1);
        assertThat(PivSlot.SIGNATURE.ckaId()).containsExactly(2);
        assertThat(PivSlot.KEY_MANAGEMENT.ckaId()).containsExactly(3);
        assertThat(PivSlot.CARD_AUTHENTICATION.ckaId()).containsExactly(4);
        for (int i = 1; i <= 20; i++) {
            PivSlot s = PivSlot.valueOf("RETIRED_" + i);
            assertThat(s.keyReference()).isEqualTo(0x81 + i);
            assertThat(s.ckaId()).containsExactly(4 + i);
            assertThat(PivSlot.byCkaId(s.ckaId())).isEqualTo(s);
        }
        assertThat(PivSlot.values()).hasSize(24);
        assertThat(PivSlot.findByCkaId(new byte[] {25})).isEmpty(); // the attestation key F9
        assertThat(PivSlot.findByCkaId(new byte[] {0})).isEmpty();
        assertThat(PivSlot.findByCkaId(new byte[] {2, 0})).isEmpty();
        assertThat(PivSlot.findByCkaId(null)).isEmpty();
        assertThatThrownBy(() -> PivSlot.byCkaId(new byte[] {0x7f}))
                .isInstanceOfSatisfying(
                        TokenException.class, e -> assertThat(e.code()).isEqualTo(TokenErrorCode.BAD_INPUT))
                .hasMessageContaining("7f")
                .hasMessageContaining("02 (9c)");
    }

    @Test
    void parse_acceptsHexAndNames() throws Exception {
        assertThat(PivSlot.parse("9c")).isEqualTo(PivSlot.SIGNATURE);
        assertThat(PivSlot.parse("0x9C")).isEqualTo(PivSlot.SIGNATURE);
        assertThat(PivSlot.parse(" 82 ")).isEqualTo(PivSlot.RETIRED_1);
        assertThat(PivSlot.parse("95")).isEqualTo(PivSlot.RETIRED_20);
        assertThat(PivSlot.parse("card-authentication")).isEqualTo(PivSlot.CARD_AUTHENTICATION);
        assertThat(PivSlot.parse("retired_3")).isEqualTo(PivSlot.RETIRED_3);
        assertThat(PivSlot.SIGNATURE.hex()).isEqualTo("9c");
        assertThat(PivSlot.SIGNATURE).hasToString("9c (Digital Signature)");
        for (String bad : new String[] {"9b", "f9", "96", "81", "", "sig"}) {
            assertThatThrownBy(() -> PivSlot.parse(bad))
                    .isInstanceOfSatisfying(
                            TokenException.class, e -> assertThat(e.code()).isEqualTo(TokenErrorCode.BAD_INPUT));
        }
    }

    @Test
    void privateLabel_isYkcs11s() {
        assertThat(PivKeys.privateLabel(PivSlot.SIGNATURE)).isEqualTo("Private key for Digital Signature");
        assertThat(PivKeys.privateLabel(PivSlot.AUTHENTICATION)).isEqualTo("Private key for PIV Authentication");
        assertThat(PivKeys.privateLabel(PivSlot.RETIRED_20)).isEqualTo("Private key for Retired Key 20");
    }

    /** Both encodings ykcs11 produces for P-256 (the explicit one captured from pkcs11-tool's process). */
    @Test
    void isP256_acceptsNamedAndExplicitParameters_only() {
        String explicit = "3081f7020101302c06072a8648ce3d0101022100ffffffff00000001000000000000000000000000ffffffff"
                + "ffffffffffffffff305b0420ffffffff00000001000000000000000000000000fffffffffffffffffffffffc04205ac635"
                + "d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b031500c49d360886e704936a6678e1139d26b78"
                + "19f7e900441046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7"
                + "eb4a7c0f9e162bce33576b315ececbb6406837bf51f5022100ffffffff00000000ffffffffffffffffbce6faada7179e8"
                + "4f3b9cac2fc632551020101";
        assertThat(PivKeys.isP256(EcKeys.P256_PARAMS)).isTrue();
        assertThat(PivKeys.isP256(HexFormat.of().parseHex(explicit))).isTrue();
        assertThat(PivKeys.isP256(HexFormat.of().parseHex("06052b81040022"))).isFalse(); // P-384
        assertThat(PivKeys.isP256(EcKeys.ED25519_PARAMS)).isFalse();
        assertThat(PivKeys.isP256(new byte[0])).isFalse();
        assertThat(PivKeys.isP256(null)).isFalse();
    }
}
