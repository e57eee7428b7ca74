package dev.custody.pkcs11;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

/** Encoding helpers for P-256 and Ed25519 public keys and ECDSA signatures. No private material. */
public final class EcKeys {
    /** DER of the P-256 OID (1.2.840.10045.3.1.7), the CKA_EC_PARAMS value. */
    public static final byte[] P256_PARAMS = HexFormat.of().parseHex("06082a8648ce3d030107");
    /** DER of the Ed25519 OID (1.3.101.112), CKA_EC_PARAMS for CKK_EC_EDWARDS. */
    public static final byte[] ED25519_PARAMS = HexFormat.of().parseHex("06032b6570");
    /** DER of the printable string "edwards25519" (the older SoftHSM2 form of CKA_EC_PARAMS). */
    public static final byte[] ED25519_PARAMS_NAME = HexFormat.of().parseHex("130c656477617264733235353139");

    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    private static final ECParameterSpec P256 = p256();

    private EcKeys() {}

    private static ECParameterSpec p256() {
        try {
            AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
            ap.init(new ECGenParameterSpec("secp256r1"));
            return ap.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks secp256r1", e);
        }
    }

    /**
     * A P-256 public key from CKA_EC_POINT: either the DER OCTET STRING wrapping the uncompressed point
     * (PKCS#11 standard) or the bare point (some modules).
     */
    public static PublicKey p256FromEcPoint(byte[] ecPoint) throws GeneralSecurityException {
        byte[] point = ecPoint;
        if (point.length == 67 && point[0] == 0x04 && point[1] == 65) {
            point = Arrays.copyOfRange(point, 2, point.length);
        }
        if (point.length != 65 || point[0] != 0x04) {
            throw new GeneralSecurityException("unexpected CKA_EC_POINT encoding (" + ecPoint.length + " bytes)");
        }
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(point, 1, 33));
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(point, 33, 65));
        return KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), P256));
    }

    /** An Ed25519 public key from CKA_EC_POINT (32 bytes, bare or wrapped in an OCTET STRING). */
    public static PublicKey ed25519FromEcPoint(byte[] ecPoint) throws GeneralSecurityException {
        byte[] raw = ecPoint;
        if (raw.length == 34 && raw[0] == 0x04 && raw[1] == 32) {
            raw = Arrays.copyOfRange(raw, 2, raw.length);
        }
        if (raw.length != 32) {
            throw new GeneralSecurityException("unexpected Ed25519 CKA_EC_POINT length " + ecPoint.length);
        }
        byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
        System.arraycopy(raw, 0, spki, ED25519_SPKI_PREFIX.length, 32);
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    }

    /** The uncompressed point 04||X||Y of a P-256 key, DER-wrapped in an OCTET STRING (CKA_EC_POINT form). */
    public static byte[] ecPointOctetString(java.security.interfaces.ECPublicKey key) {
        byte[] out = new byte[67];
        out[0] = 0x04;
        out[1] = 65;
        out[2] = 0x04;
        fixed(key.getW().getAffineX(), out, 3, 32);
        fixed(key.getW().getAffineY(), out, 35, 32);
        return out;
    }

    /** Converts raw r||s to DER. */
    public static byte[] rawToDer(byte[] raw) {
        if (raw.length % 2 != 0 || raw.length == 0) {
            throw new IllegalArgumentException("raw ECDSA signature of odd length " + raw.length);
        }
        int n = raw.length / 2;
        byte[] r = derInteger(new BigInteger(1, Arrays.copyOfRange(raw, 0, n)));
        byte[] s = derInteger(new BigInteger(1, Arrays.copyOfRange(raw, n, raw.length)));
        int len = r.length + s.length;
        byte[] header = len < 128 ? new byte[] {0x30, (byte) len} : new byte[] {0x30, (byte) 0x81, (byte) len};
        byte[] out = Arrays.copyOf(header, header.length + len);
        System.arraycopy(r, 0, out, header.length, r.length);
        System.arraycopy(s, 0, out, header.length + r.length, s.length);
        return out;
    }

    /** Converts DER to raw r||s with each half {@code fieldBytes} long. */
    public static byte[] derToRaw(byte[] der, int fieldBytes) {
        int p = 0;
        if (der[p++] != 0x30) {
            throw new IllegalArgumentException("not a DER ECDSA signature");
        }
        int len = der[p++] & 0xff;
        if (len == 0x81) {
            len = der[p++] & 0xff;
        }
        if (p + len != der.length) {
            throw new IllegalArgumentException("DER ECDSA signature length mismatch");
        }
        byte[] out = new byte[2 * fieldBytes];
        for (int i = 0; i < 2; i++) {
            if (der[p++] != 0x02) {
                throw new IllegalArgumentException("DER ECDSA signature: INTEGER expected");
            }
            int l = der[p++] & 0xff;
            BigInteger v = new BigInteger(1, Arrays.copyOfRange(der, p, p + l));
            fixed(v, out, i * fieldBytes, fieldBytes);
            p += l;
        }
        return out;
    }

    private static byte[] derInteger(BigInteger v) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[b.length + 2];
        out[0] = 0x02;
        out[1] = (byte) b.length;
        System.arraycopy(b, 0, out, 2, b.length);
        return out;
    }

    private static void fixed(BigInteger v, byte[] out, int off, int len) {
        byte[] b = v.toByteArray();
        int start = Math.max(0, b.length - len);
        int n = b.length - start;
        if (n > len) {
            throw new IllegalArgumentException("integer too large for field");
        }
        System.arraycopy(b, start, out, off + len - n, n);
    }
}
