package dev.custody.tuf.keys;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.sign.EcdsaSignatures;
import dev.custody.tuf.testing.SoftwareSigner;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class RootCertificatesTest {
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-23T13:37:32.960Z"), ZoneOffset.UTC);

    @Test
    void create_likeNotary() throws Exception {
        SoftwareSigner signer = SoftwareSigner.ecdsa();
        X509Certificate cert = RootCertificates.create(signer, "example.com/app", clock);
        cert.verify(signer.publicKey());
        assertThat(cert.getSubjectX500Principal()).isEqualTo(cert.getIssuerX500Principal());
        assertThat(RootCertificates.commonNameOf(cert)).isEqualTo("example.com/app");
        assertThat(cert.getNotBefore().toInstant()).isEqualTo(Instant.parse("2026-11-23T13:37:32Z"));
        assertThat(Duration.between(
                        cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()))
                .isEqualTo(Duration.ofDays(3650));
        assertThat(cert.getSigAlgName()).isEqualTo("SHA256withECDSA");
        assertThat(cert.getBasicConstraints()).isEqualTo(-1);
        assertThat(cert.getKeyUsage()[0]).isTrue(); // digitalSignature
        assertThat(cert.getKeyUsage()[2]).isTrue(); // keyEncipherment
        assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.3"); // codeSigning
        assertThat(cert.getCriticalExtensionOIDs()).containsExactlyInAnyOrder("2.5.29.15", "2.5.29.19");
        assertThat(cert.getSerialNumber().bitLength()).isLessThanOrEqualTo(128);
        // CN as PrintableString (tag 0x13), as Go writes it for a printable GUN
        byte[] subject = cert.getSubjectX500Principal().getEncoded();
        assertThat(subject[subject.length - "example.com/app".length() - 2]).isEqualTo((byte) 0x13);

        TufKey key = PublicKeys.toTufKey(cert);
        assertThat(key.keyType()).isEqualTo("ecdsa-x509");
        assertThat(new String(key.publicValue()))
                .startsWith("-----BEGIN CERTIFICATE-----\n")
                .endsWith("-----END CERTIFICATE-----\n");
        assertThat(PublicKeys.canonicalKeyId(key)).isEqualTo(signer.key().id()).isNotEqualTo(key.id());
        assertThat(RootCertificates.matchesGun(cert, "example.com/app")).isTrue();
        assertThat(RootCertificates.matchesGun(cert, "example.com/other")).isFalse();
    }

    @Test
    void ecdsaSignatures_rawDerRoundTrip() throws Exception {
        SoftwareSigner signer = SoftwareSigner.ecdsa();
        byte[] raw = signer.sign("hello".getBytes());
        assertThat(raw).hasSize(64);
        byte[] der = EcdsaSignatures.rawToDer(raw);
        java.security.Signature v = java.security.Signature.getInstance("SHA256withECDSA");
        v.initVerify(signer.publicKey());
        v.update("hello".getBytes());
        assertThat(v.verify(der)).isTrue();
        assertThat(EcdsaSignatures.derToRaw(der, 32)).isEqualTo(raw);
    }

    @Test
    void keyIds_ed25519AndEcdsa() throws Exception {
        for (SoftwareSigner s : List.of(SoftwareSigner.ecdsa(), SoftwareSigner.ed25519())) {
            TufKey k = s.key();
            assertThat(PublicKeys.toPublicKey(k, null)).isEqualTo(s.publicKey());
            assertThat(k.id()).hasSize(64);
        }
        assertThat(SoftwareSigner.ed25519().key().publicValue()).hasSize(32);
        assertThat(SoftwareSigner.ed25519().method()).isEqualTo("eddsa");
        assertThat(SoftwareSigner.ecdsa().method()).isEqualTo("ecdsa");
    }
}
