package dev.custody.pkcs11.yubikey;

import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The software side of putting a key into a PIV slot ({@link YubikeyToken#importKey}): that the public key
 * belongs to the private one, the private scalar in the fixed length the card takes, and the placeholder
 * certificate ykcs11 reads the slot's public key from.
 */
final class ImportMaterial {
    private ImportMaterial() {}

    /** Whether {@code publicKey} verifies a signature made with {@code privateKey} (in software). */
    static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
        try {
            byte[] probe = "custody yubikey import check".getBytes(StandardCharsets.US_ASCII);
            Signature sig = Signature.getInstance("SHA256withECDSA");
            sig.initSign(privateKey);
            sig.update(probe);
            byte[] der = sig.sign();
            sig.initVerify(publicKey);
            sig.update(probe);
            return sig.verify(der);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** {@code v} as an unsigned big-endian number of exactly {@code n} bytes; the temporary copy is wiped. */
    static byte[] fixedLength(BigInteger v, int n) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[n];
        int start = Math.max(0, b.length - n);
        System.arraycopy(b, start, out, n - (b.length - start), b.length - start);
        Arrays.fill(b, (byte) 0);
        return out;
    }

    /**
     * A self-signed X.509 certificate of the imported public key (CN=Custody imported key, slot …), signed
     * in software with the private key being imported; ykcs11 reads the slot's public key from it.
     */
    static byte[] placeholderCertificate(PivSlot slot, PrivateKey privateKey, PublicKey publicKey)
            throws TokenException {
        try {
            X500Name subject = new X500Name("CN=Custody imported key (PIV slot " + slot.hex() + ")");
            Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            var b = new JcaX509v3CertificateBuilder(
                    subject,
                    new BigInteger(64, new SecureRandom()),
                    Date.from(now),
                    Date.from(now.plus(Duration.ofDays(3650))),
                    subject,
                    publicKey);
            var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(privateKey);
            return b.build(signer).getEncoded();
        } catch (OperatorCreationException | IOException e) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT,
                    "cannot make the placeholder certificate for the" + " imported key: " + e.getMessage());
        }
    }
}
