package dev.custody.tuf.keys;

import dev.custody.tuf.SigningException;
import dev.custody.tuf.sign.EcdsaSignatures;
import dev.custody.tuf.sign.Signer;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.operator.ContentSigner;

/**
 * The self-signed root certificate Notary puts in {@code root.json} as the root key
 * ({@code ecdsa-x509}), built through a {@link Signer} so the private key stays on the token.
 *
 * <p>Same shape as Notary's {@code NewCertificate}: random 128-bit serial, subject = issuer = CN of the
 * GUN (PrintableString when the GUN allows, like Go), valid from now (whole seconds) for 10 × 365 days,
 * key usage digitalSignature + keyEncipherment (critical), extended key usage codeSigning,
 * basic constraints CA:false (critical), signed ecdsa-with-SHA256.
 */
public final class RootCertificates {
    /** Notary's root certificate and root metadata lifetime: 10 years of 365 days. */
    public static final Duration VALIDITY = Duration.ofDays(3650);

    private static final SecureRandom RANDOM = new SecureRandom();

    private RootCertificates() {}

    public static X509Certificate create(Signer signer, String gun, Clock clock) throws SigningException {
        Instant start = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        return create(signer, gun, start, start.plus(VALIDITY));
    }

    public static X509Certificate create(Signer signer, String gun, Instant notBefore, Instant notAfter)
            throws SigningException {
        if (!"EC".equals(signer.publicKey().getAlgorithm())) {
            throw new IllegalArgumentException("root certificates are made for ECDSA keys, not "
                    + signer.publicKey().getAlgorithm());
        }
        X500Name name = commonName(gun);
        BigInteger serial = new BigInteger(128, RANDOM);
        X509v3CertificateBuilder b = new X509v3CertificateBuilder(
                name,
                serial,
                Date.from(notBefore),
                Date.from(notAfter),
                name,
                SubjectPublicKeyInfo.getInstance(signer.publicKey().getEncoded()));
        try {
            b.addExtension(
                    Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_codeSigning));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        } catch (CertIOException e) {
            throw new IllegalStateException(e);
        }
        TokenContentSigner cs = new TokenContentSigner(signer);
        X509CertificateHolder holder;
        try {
            holder = b.build(cs);
        } catch (WrappedSigningException e) {
            throw e.cause;
        }
        try {
            return new JcaX509CertificateConverter().getCertificate(holder);
        } catch (CertificateException e) {
            throw new IllegalStateException("BouncyCastle built an unreadable certificate", e);
        }
    }

    /** Whether the certificate names {@code gun} (Notary also allows a trailing {@code *} wildcard). */
    public static boolean matchesGun(X509Certificate cert, String gun) {
        String cn = commonNameOf(cert);
        if (cn == null) {
            return false;
        }
        if (cn.endsWith("*")) {
            return gun.startsWith(cn.substring(0, cn.length() - 1));
        }
        return cn.equals(gun);
    }

    public static String commonNameOf(X509Certificate cert) {
        X500Name n = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
        var rdns = n.getRDNs(BCStyle.CN);
        if (rdns.length == 0) {
            return null;
        }
        return rdns[0].getFirst().getValue().toString();
    }

    private static X500Name commonName(String gun) {
        ASN1Encodable value =
                DERPrintableString.isPrintableString(gun) ? new DERPrintableString(gun) : new DERUTF8String(gun);
        return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, value).build();
    }

    private static final class WrappedSigningException extends RuntimeException {
        final SigningException cause;

        WrappedSigningException(SigningException cause) {
            super(cause);
            this.cause = cause;
        }
    }

    /** A BouncyCastle ContentSigner over a {@link Signer}: raw r‖s from the token, DER for X.509. */
    private static final class TokenContentSigner implements ContentSigner {
        private static final AlgorithmIdentifier ECDSA_SHA256 =
                new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
        private final Signer signer;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        TokenContentSigner(Signer signer) {
            this.signer = signer;
        }

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
            return ECDSA_SHA256;
        }

        @Override
        public OutputStream getOutputStream() {
            return buffer;
        }

        @Override
        public byte[] getSignature() {
            try {
                return EcdsaSignatures.rawToDer(signer.sign(buffer.toByteArray()));
            } catch (SigningException e) {
                throw new WrappedSigningException(e);
            }
        }
    }
}
