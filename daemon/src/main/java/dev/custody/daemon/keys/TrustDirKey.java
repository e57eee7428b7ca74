package dev.custody.daemon.keys;

import dev.custody.protocol.BadRequestException;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Optional;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.operator.InputDecryptorProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.util.io.pem.PemHeader;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * A private key from a notary / docker trust_dir ({@code ~/.notary/private/<id>.key},
 * {@code ~/.docker/trust/private/<id>.key}). Notary 0.7 writes PKCS#8 {@code ENCRYPTED PRIVATE KEY}
 * PEM blocks (PBES2, encrypted with the role's passphrase) with {@code role:} and {@code gun:}
 * headers; unencrypted {@code PRIVATE KEY} and {@code EC PRIVATE KEY} blocks are read too.
 *
 * <p>Nothing from the key reaches a message: failures name the PEM type, never its content.
 *
 * @param role the {@code role:} header, if any
 * @param gun the {@code gun:} header, if any (root keys have none)
 */
record TrustDirKey(PrivateKey privateKey, PublicKey publicKey, Optional<String> role, Optional<String> gun) {

    /** Decodes and, if encrypted, decrypts {@code pem}. The caller wipes {@code passphrase}. */
    static TrustDirKey read(String pem, char[] passphrase) throws BadRequestException {
        PemObject obj = pemObject(pem);
        Optional<String> role = header(obj, "role");
        Optional<String> gun = header(obj, "gun");
        PrivateKeyInfo info = privateKeyInfo(obj, pem, passphrase);
        byte[] der = null;
        try {
            der = info.getEncoded();
            String oid = info.getPrivateKeyAlgorithm().getAlgorithm().getId();
            if (oid.equals("1.3.101.112")) { // Ed25519
                PrivateKey priv = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
                return new TrustDirKey(priv, ed25519Public(info), role, gun);
            }
            PrivateKey priv = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
            return new TrustDirKey(priv, ecPublic((ECPrivateKey) priv), role, gun);
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            throw new BadRequestException(
                    "params.pem: the private key is not an ECDSA or Ed25519 key this daemon" + " can use ("
                            + e.getClass().getSimpleName() + ")",
                    "params.pem");
        } finally {
            if (der != null) {
                Arrays.fill(der, (byte) 0);
            }
        }
    }

    /** The first PEM block of {@code pem}. */
    private static PemObject pemObject(String pem) throws BadRequestException {
        PemObject obj;
        try (PemReader r = new PemReader(new StringReader(pem))) {
            obj = r.readPemObject();
        } catch (IOException e) {
            throw new BadRequestException(
                    "params.pem is not a PEM block (" + e.getClass().getSimpleName() + ")", "params.pem");
        }
        if (obj == null) {
            throw new BadRequestException("params.pem holds no PEM block", "params.pem");
        }
        return obj;
    }

    /** The value of the last header {@code name} (case-insensitive) of {@code obj}, stripped. */
    private static Optional<String> header(PemObject obj, String name) {
        String value = null;
        for (Object h : obj.getHeaders()) {
            PemHeader ph = (PemHeader) h;
            if (ph.getName().equalsIgnoreCase(name)) {
                value = ph.getValue().strip();
            }
        }
        return Optional.ofNullable(value);
    }

    /** The PKCS#8 private key of the block, decrypted with {@code passphrase} if it is encrypted. */
    private static PrivateKeyInfo privateKeyInfo(PemObject obj, String pem, char[] passphrase)
            throws BadRequestException {
        byte[] content = obj.getContent();
        try {
            return switch (obj.getType()) {
                case "ENCRYPTED PRIVATE KEY" -> decrypt(content, passphrase);
                case "PRIVATE KEY" -> PrivateKeyInfo.getInstance(content);
                case "EC PRIVATE KEY" -> {
                    PEMKeyPair kp = new org.bouncycastle.openssl.PEMParser(new StringReader(pem)).readObject()
                                    instanceof PEMKeyPair p
                            ? p
                            : null;
                    if (kp == null) {
                        throw new BadRequestException(
                                "params.pem: the EC PRIVATE KEY block does not decode", "params.pem");
                    }
                    yield kp.getPrivateKeyInfo();
                }
                default ->
                    throw new BadRequestException(
                            "params.pem is a " + obj.getType() + " block; expected a"
                                    + " notary private key (ENCRYPTED PRIVATE KEY, PRIVATE KEY or EC PRIVATE KEY)",
                            "params.pem");
            };
        } catch (IOException | IllegalArgumentException e) {
            throw new BadRequestException(
                    "params.pem: the " + obj.getType() + " block does not decode ("
                            + e.getClass().getSimpleName() + ")",
                    "params.pem");
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    /** The Ed25519 public key of the private key in {@code info} (the seed is wiped after use). */
    private static PublicKey ed25519Public(PrivateKeyInfo info) throws GeneralSecurityException, IOException {
        byte[] seed = org.bouncycastle.asn1.ASN1OctetString.getInstance(info.parsePrivateKey())
                .getOctets();
        byte[] spki =
                new Ed25519PrivateKeyParameters(seed, 0).generatePublicKey().getEncoded();
        Arrays.fill(seed, (byte) 0);
        return KeyFactory.getInstance("Ed25519")
                .generatePublic(new X509EncodedKeySpec(
                        new org.bouncycastle.asn1.x509.SubjectPublicKeyInfo(info.getPrivateKeyAlgorithm(), spki)
                                .getEncoded()));
    }

    private static PrivateKeyInfo decrypt(byte[] content, char[] passphrase) throws BadRequestException, IOException {
        if (passphrase == null || passphrase.length == 0) {
            throw new BadRequestException(
                    "params.passphrase is required: the key is encrypted (ENCRYPTED PRIVATE KEY)", "params.passphrase");
        }
        try {
            InputDecryptorProvider d = new JceOpenSSLPKCS8DecryptorProviderBuilder()
                    .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider())
                    .build(passphrase);
            return new PKCS8EncryptedPrivateKeyInfo(content).decryptPrivateKeyInfo(d);
        } catch (PKCSException | OperatorCreationException | PEMException e) {
            throw new BadRequestException(
                    "params.passphrase does not decrypt the key (wrong passphrase?)", "params.passphrase");
        }
    }

    /** Q = d·G on the key's named curve, as a JDK public key. */
    private static PublicKey ecPublic(ECPrivateKey priv) throws GeneralSecurityException {
        int bits = priv.getParams().getCurve().getField().getFieldSize();
        if (bits != 256) {
            throw new GeneralSecurityException("curve of " + bits + " bits");
        }
        X9ECParameters p = ECNamedCurveTable.getByName("P-256");
        BigInteger d = priv.getS();
        ECPoint q = p.getG().multiply(d).normalize();
        java.security.spec.ECPoint w = new java.security.spec.ECPoint(
                q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
        return KeyFactory.getInstance("EC").generatePublic(new java.security.spec.ECPublicKeySpec(w, priv.getParams()));
    }

    @Override
    public String toString() {
        return "TrustDirKey[" + publicKey.getAlgorithm() + ", role=" + role.orElse("-") + ", gun=" + gun.orElse("-")
                + "]";
    }
}
