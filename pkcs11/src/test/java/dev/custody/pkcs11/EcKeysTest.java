package dev.custody.pkcs11;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

class EcKeysTest {
    @RepeatedTest(20)
    void derToRawToDer_roundTripsJdkSignatures() throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = kpg.generateKeyPair();
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(kp.getPrivate());
        s.update(new byte[] {1, 2, 3});
        byte[] der = s.sign();
        byte[] raw = EcKeys.derToRaw(der, 32);
        assertThat(raw).hasSize(64);
        byte[] back = EcKeys.rawToDer(raw);
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(kp.getPublic());
        v.update(new byte[] {1, 2, 3});
        assertThat(v.verify(back)).isTrue();
    }

    @Test
    void ecPoint_roundTripsThroughTheOctetStringForm() throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(new ECGenParameterSpec("secp256r1"));
        ECPublicKey pub = (ECPublicKey) kpg.generateKeyPair().getPublic();
        byte[] point = EcKeys.ecPointOctetString(pub);
        assertThat(point).hasSize(67);
        assertThat(EcKeys.p256FromEcPoint(point)).isEqualTo(pub);
        // the bare point (some modules omit the OCTET STRING) decodes to the same key
        assertThat(EcKeys.p256FromEcPoint(java.util.Arrays.copyOfRange(point, 2, 67)))
                .isEqualTo(pub);
    }

    @Test
    void ecPoint_wrongLength_isRejected() {
        assertThatThrownBy(() -> EcKeys.p256FromEcPoint(new byte[10])).hasMessageContaining("CKA_EC_POINT");
    }

    @Test
    void derToRaw_notDer_isRejected() {
        assertThatThrownBy(() -> EcKeys.derToRaw(new byte[] {0x31, 0}, 32))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
