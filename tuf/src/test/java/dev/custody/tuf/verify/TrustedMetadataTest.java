package dev.custody.tuf.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.tuf.InvalidSignatureException;
import dev.custody.tuf.RollbackException;
import dev.custody.tuf.RootRotationException;
import dev.custody.tuf.SignatureThresholdException;
import dev.custody.tuf.TrustPinException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signature;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.RepoEditor;
import dev.custody.tuf.sign.Signing;
import dev.custody.tuf.testing.SoftwareSigner;
import dev.custody.tuf.testing.TestRepo;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/** Pure verification: thresholds, root chain and trust pinning, on repositories made with software keys. */
class TrustedMetadataTest {
    private final Clock clock = Clock.systemUTC();

    @Test
    void verifyThreshold_sameKeyTwiceCountsOnce() throws Exception {
        TestRepo r = new TestRepo("example.com/t", clock);
        Signed<?> targets = Signed.parse(r.repo.get("targets"), "targets");
        Signature sig = targets.signatures().get(0);
        Map<String, TufKey> keys = Map.of(
                r.targets.keyId(),
                r.targets.key(),
                "other",
                SoftwareSigner.ecdsa().key());
        assertThatThrownBy(() ->
                        SignatureVerifier.verifyThreshold("targets", targets.canonical(), List.of(sig, sig), keys, 2))
                .isInstanceOfSatisfying(SignatureThresholdException.class, e -> {
                    assertThat(e.found()).isEqualTo(1);
                    assertThat(e.missingKeyIds()).containsExactly("other");
                });
        assertThat(SignatureVerifier.verifyThreshold("targets", targets.canonical(), List.of(sig, sig), keys, 1))
                .containsExactly(r.targets.keyId());
    }

    @Test
    void verifyThreshold_signatureWithWrongMethodIsInvalid() throws Exception {
        TestRepo r = new TestRepo("example.com/t", clock);
        Signed<?> targets = Signed.parse(r.repo.get("targets"), "targets");
        Signature s = targets.signatures().get(0);
        Signature wrong = new Signature(s.keyId(), "eddsa", s.value());
        assertThatThrownBy(() -> SignatureVerifier.verifyThreshold(
                        "targets", targets.canonical(), List.of(wrong), Map.of(r.targets.keyId(), r.targets.key()), 1))
                .isInstanceOf(InvalidSignatureException.class);
    }

    @Test
    void updateRoot_chainWithRootRotation() throws Exception {
        TestRepo r = new TestRepo("example.com/t", clock);
        byte[] v1 = r.repo.get("root");
        TrustedMetadata t = TrustedMetadata.bootstrap(r.gun, v1, TrustPinning.TOFU, clock);
        SoftwareSigner newRoot = SoftwareSigner.ecdsa();
        TufKey newCert = PublicKeys.toTufKey(RootCertificates.create(newRoot, r.gun, clock));
        var editor = RepoEditor.load(t.repository(), clock).rotateRootKey(newCert);
        byte[] v2 = editor.buildPublish(r.ring.and(dev.custody.tuf.repo.KeyRing.of(List.of(newRoot))))
                .files()
                .get("root");
        t.updateRoot(v2);
        assertThat(t.root().version()).isEqualTo(2);
        // replaying v2 is a rollback (not version 3)
        assertThatThrownBy(() -> t.updateRoot(v2)).isInstanceOfSatisfying(RollbackException.class, e -> {
            assertThat(e.trustedVersion()).isEqualTo(2);
            assertThat(e.foundVersion()).isEqualTo(2);
        });
        // v1 signed by the old key is not accepted as the next root either
        assertThatThrownBy(() -> t.updateRoot(v1)).isInstanceOf(RootRotationException.class);
    }

    @Test
    void updateRoot_timestampKeyRotationDropsFloors() throws Exception {
        TestRepo r = new TestRepo("example.com/t", clock);
        TrustedMetadata t = TrustedMetadata.bootstrap(r.gun, r.repo.get("root"), TrustPinning.TOFU, clock);
        t.setFloor("timestamp", 5);
        t.setFloor("snapshot", 5);
        t.setFloor("targets", 5);
        byte[] v2 = RepoEditor.load(t.repository(), clock)
                .rotateKey("timestamp", SoftwareSigner.ed25519().key())
                .buildPublish(r.ring)
                .files()
                .get("root");
        t.updateRoot(v2);
        // TUF 5.3.11: a new timestamp key may restart versions; targets keeps its floor
        assertThat(t.floor("timestamp")).isEmpty();
        assertThat(t.floor("snapshot")).isEmpty();
        assertThat(t.floor("targets")).contains(5);
    }

    @Test
    void updateRoot_skippedVersionRefused() throws Exception {
        TestRepo r = new TestRepo("example.com/t", clock);
        TrustedMetadata t = TrustedMetadata.bootstrap(r.gun, r.repo.get("root"), TrustPinning.TOFU, clock);
        Root v3 = ((Root) Signed.parse(r.repo.get("root"), "root").signed()).withVersion(3);
        byte[] bytes = Signing.sign("root", v3, List.of(r.root.as(r.rootKey))).toBytes();
        assertThatThrownBy(() -> t.updateRoot(bytes))
                .isInstanceOfSatisfying(
                        RollbackException.class,
                        e -> assertThat(e.foundVersion()).isEqualTo(3));
    }

    @Test
    void bootstrap_rootCertificateForAnotherGunRefused() throws Exception {
        TestRepo r = new TestRepo("example.com/t", clock);
        // the root key's certificate names example.com/t; fetched as another GUN no root key counts
        assertThatThrownBy(() ->
                        TrustedMetadata.bootstrap("example.com/other", r.repo.get("root"), TrustPinning.TOFU, clock))
                .isInstanceOfSatisfying(
                        SignatureThresholdException.class,
                        e -> assertThat(e.found()).isZero());
    }

    @Test
    void bootstrap_pinnedKeyId() throws Exception {
        TestRepo r = new TestRepo("example.com/t", clock);
        byte[] root = r.repo.get("root");
        // the root.json ID and the bare key ID (as `notary key list` shows it) both pin
        TrustedMetadata.bootstrap(r.gun, root, TrustPinning.keyIds(r.gun, List.of(r.rootKey.id())), clock);
        TrustedMetadata.bootstrap(r.gun, root, TrustPinning.keyIds("example.com/*", List.of(r.root.keyId())), clock);
        assertThatThrownBy(() ->
                        TrustedMetadata.bootstrap(r.gun, root, TrustPinning.keyIds(r.gun, List.of("00ff")), clock))
                .isInstanceOfSatisfying(
                        TrustPinException.class, e -> assertThat(e.gun()).isEqualTo(r.gun));
    }

    @Test
    void bootstrap_tofuDisabledWithoutPin() throws Exception {
        TestRepo r = new TestRepo("example.com/t", clock);
        TrustPinning noTofu = new TrustPinning(Map.of("other", List.of("x")), Map.of(), true);
        assertThatThrownBy(() -> TrustedMetadata.bootstrap(r.gun, r.repo.get("root"), noTofu, clock))
                .isInstanceOf(TrustPinException.class)
                .hasMessageContaining("trust on first use is disabled");
    }

    @Test
    void bootstrap_pinnedCa() throws Exception {
        // a root whose root key certificate is issued by a CA (not self-signed)
        SoftwareSigner ca = SoftwareSigner.ecdsa();
        X509Certificate caCert = caCertificate(ca);
        SoftwareSigner rootSigner = SoftwareSigner.ecdsa();
        String gun = "example.com/ca/app";
        X509Certificate leaf = issued(ca, caCert, rootSigner, gun);
        TufKey rootKey = PublicKeys.toTufKey(leaf);
        SoftwareSigner t = SoftwareSigner.ecdsa();
        var set = RepoEditor.create(
                        gun, rootKey, t.key(), t.key(), SoftwareSigner.ed25519().key(), clock)
                .buildPublish(dev.custody.tuf.repo.KeyRing.of(List.of(rootSigner, t)));
        byte[] root = set.files().get("root");
        TrustedMetadata.bootstrap(gun, root, TrustPinning.ca("example.com/ca/", List.of(caCert)), clock);
        X509Certificate otherCa = caCertificate(SoftwareSigner.ecdsa());
        assertThatThrownBy(() ->
                        TrustedMetadata.bootstrap(gun, root, TrustPinning.ca("example.com/", List.of(otherCa)), clock))
                .isInstanceOf(TrustPinException.class);
    }

    private static X509Certificate caCertificate(SoftwareSigner ca) throws Exception {
        X500Name name = new X500Name("CN=custody test CA");
        var b = new JcaX509v3CertificateBuilder(
                name,
                BigInteger.ONE,
                Date.from(Instant.now().minusSeconds(60)),
                Date.from(Instant.now().plus(Duration.ofDays(30))),
                name,
                ca.publicKey());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        return new JcaX509CertificateConverter().getCertificate(b.build(contentSigner(ca)));
    }

    private static X509Certificate issued(SoftwareSigner ca, X509Certificate caCert, SoftwareSigner subject, String cn)
            throws Exception {
        var b = new JcaX509v3CertificateBuilder(
                X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded()),
                BigInteger.TWO,
                Date.from(Instant.now().minusSeconds(60)),
                Date.from(Instant.now().plus(Duration.ofDays(30))),
                new X500Name("CN=" + cn),
                subject.publicKey());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        return new JcaX509CertificateConverter().getCertificate(b.build(contentSigner(ca)));
    }

    private static org.bouncycastle.operator.ContentSigner contentSigner(SoftwareSigner s) throws Exception {
        var f = SoftwareSigner.class.getDeclaredField("privateKey");
        f.setAccessible(true);
        return new JcaContentSignerBuilder("SHA256withECDSA").build((java.security.PrivateKey) f.get(s));
    }
}
