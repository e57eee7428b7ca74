package dev.custody.tuf.keys;

import dev.custody.tuf.UnsupportedKeyTypeException;
import dev.custody.tuf.model.KeyTypes;
import dev.custody.tuf.model.TufKey;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Between {@link TufKey} and JCA keys. {@code ecdsa}/{@code rsa}: DER SubjectPublicKeyInfo;
 * {@code ed25519}: the 32 raw bytes; {@code *-x509}: a PEM bundle whose first certificate is the key's.
 */
public final class PublicKeys {
    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");

    private PublicKeys() {}

    /** A TUF key for an EC or Ed25519 public key: {@code ecdsa} (SPKI DER) or {@code ed25519} (raw). */
    public static TufKey toTufKey(PublicKey key) {
        String alg = key.getAlgorithm();
        if (key instanceof ECPublicKey || "EC".equals(alg)) {
            return new TufKey(KeyTypes.ECDSA, key.getEncoded());
        }
        if ("Ed25519".equals(alg) || "EdDSA".equals(alg)) {
            byte[] spki = key.getEncoded();
            return new TufKey(KeyTypes.ED25519, Arrays.copyOfRange(spki, spki.length - 32, spki.length));
        }
        if ("RSA".equals(alg)) {
            return new TufKey(KeyTypes.RSA, key.getEncoded());
        }
        throw new IllegalArgumentException("unsupported public key algorithm " + alg);
    }

    /** An {@code ecdsa-x509} or {@code rsa-x509} key carrying this certificate as PEM. */
    public static TufKey toTufKey(X509Certificate cert) {
        String type = "RSA".equals(cert.getPublicKey().getAlgorithm()) ? KeyTypes.RSA_X509 : KeyTypes.ECDSA_X509;
        return new TufKey(type, Certificates.toPem(cert));
    }

    /**
     * The JCA public key of a TUF key.
     *
     * @throws UnsupportedKeyTypeException for an unknown type or bytes that do not decode
     */
    public static PublicKey toPublicKey(TufKey key, String role) throws UnsupportedKeyTypeException {
        try {
            return switch (key.keyType()) {
                case KeyTypes.ECDSA ->
                    KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(key.publicValue()));
                case KeyTypes.RSA ->
                    KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(key.publicValue()));
                case KeyTypes.ED25519 -> {
                    byte[] raw = key.publicValue();
                    if (raw.length != 32) {
                        throw new UnsupportedKeyTypeException(role, key.id(), key.keyType() + " (not 32 bytes)");
                    }
                    byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
                    System.arraycopy(raw, 0, spki, ED25519_SPKI_PREFIX.length, 32);
                    yield KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
                }
                case KeyTypes.ECDSA_X509, KeyTypes.RSA_X509 ->
                    leafCertificate(key, role).getPublicKey();
                default -> throw new UnsupportedKeyTypeException(role, key.id(), key.keyType());
            };
        } catch (GeneralSecurityException e) {
            throw new UnsupportedKeyTypeException(
                    role, key.id(), key.keyType() + " (undecodable: " + e.getMessage() + ")");
        }
    }

    /** The first certificate of an {@code *-x509} key. */
    public static X509Certificate leafCertificate(TufKey key, String role) throws UnsupportedKeyTypeException {
        if (!KeyTypes.isX509(key.keyType())) {
            throw new UnsupportedKeyTypeException(role, key.id(), key.keyType() + " (no certificate)");
        }
        try {
            List<X509Certificate> certs = Certificates.parsePem(key.publicValue());
            if (certs.isEmpty()) {
                throw new UnsupportedKeyTypeException(role, key.id(), key.keyType() + " (no certificate in PEM)");
            }
            return certs.get(0);
        } catch (CertificateException e) {
            throw new UnsupportedKeyTypeException(
                    role, key.id(), key.keyType() + " (bad certificate: " + e.getMessage() + ")");
        }
    }

    /**
     * The "canonical" key ID Notary uses for private key files and {@code notary key list}: for an
     * {@code *-x509} key, the ID of the bare public key ({@code ecdsa}/{@code rsa}, SPKI DER of the
     * certificate's key); for other keys, {@link TufKey#id()}. In {@code root.json} the root key is listed
     * under the certificate-bearing ID instead.
     */
    public static String canonicalKeyId(TufKey key) throws UnsupportedKeyTypeException {
        if (!KeyTypes.isX509(key.keyType())) {
            return key.id();
        }
        X509Certificate cert = leafCertificate(key, null);
        return new TufKey(
                        KeyTypes.withoutCertificate(key.keyType()),
                        cert.getPublicKey().getEncoded())
                .id();
    }

    /** Certificates in PEM text (other blocks are skipped). */
    public static List<X509Certificate> certificates(byte[] pem) throws CertificateException {
        return Certificates.parsePem(pem);
    }

    static final class Certificates {
        private Certificates() {}

        static List<X509Certificate> parsePem(byte[] pem) throws CertificateException {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            List<X509Certificate> out = new ArrayList<>();
            for (var c : cf.generateCertificates(new ByteArrayInputStream(pem))) {
                out.add((X509Certificate) c);
            }
            return out;
        }

        static byte[] toPem(X509Certificate cert) {
            try {
                String b64 =
                        java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(cert.getEncoded());
                return ("-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n")
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IllegalArgumentException(e);
            }
        }
    }
}
