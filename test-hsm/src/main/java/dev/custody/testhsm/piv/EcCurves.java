package dev.custody.testhsm.piv;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;

/**
 * The elliptic-curve arithmetic of the emulated card, with the JDK: the curves of the PIV algorithm ids,
 * key generation, the key pair of an imported scalar, and the uncompressed point encoding.
 */
final class EcCurves {
    private EcCurves() {}

    /** The JDK curve name of a PIV algorithm id; null for RSA and anything else not emulated. */
    static String curve(int algorithm) {
        return switch (algorithm) {
            case PivCard.ALG_ECCP256 -> "secp256r1";
            case PivCard.ALG_ECCP384 -> "secp384r1";
            default -> null;
        };
    }

    /** The size of a field element (and of a private scalar) of a PIV EC algorithm, in bytes. */
    static int fieldBytes(int algorithm) {
        return algorithm == PivCard.ALG_ECCP384 ? 48 : 32;
    }

    static KeyPair generate(String curve, SecureRandom random) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec(curve), random);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot make " + curve + " keys", e);
        }
    }

    /**
     * The key pair of a private scalar: Q = d·G by affine double-and-add over the curve's prime field
     * (the JDK has no public point multiplication; test code, so not constant time).
     */
    static KeyPair keyPairFromScalar(String curve, BigInteger d) throws GeneralSecurityException {
        AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
        ap.init(new ECGenParameterSpec(curve));
        ECParameterSpec spec = ap.getParameterSpec(ECParameterSpec.class);
        if (d.signum() <= 0 || d.compareTo(spec.getOrder()) >= 0) {
            throw new IllegalArgumentException("scalar out of range");
        }
        BigInteger p = ((ECFieldFp) spec.getCurve().getField()).getP();
        BigInteger a = spec.getCurve().getA();
        ECPoint q = ECPoint.POINT_INFINITY;
        ECPoint g = spec.getGenerator();
        for (int i = d.bitLength() - 1; i >= 0; i--) {
            q = add(q, q, p, a);
            if (d.testBit(i)) {
                q = add(q, g, p, a);
            }
        }
        KeyFactory kf = KeyFactory.getInstance("EC");
        PrivateKey priv = kf.generatePrivate(new ECPrivateKeySpec(d, spec));
        PublicKey pub = kf.generatePublic(new ECPublicKeySpec(q, spec));
        return new KeyPair(pub, priv);
    }

    /** Affine point addition (and doubling) on y² = x³ + ax + b over GF(p). */
    private static ECPoint add(ECPoint u, ECPoint v, BigInteger p, BigInteger a) {
        if (u.equals(ECPoint.POINT_INFINITY)) {
            return v;
        }
        if (v.equals(ECPoint.POINT_INFINITY)) {
            return u;
        }
        BigInteger x1 = u.getAffineX();
        BigInteger y1 = u.getAffineY();
        BigInteger x2 = v.getAffineX();
        BigInteger y2 = v.getAffineY();
        BigInteger lambda;
        if (x1.equals(x2)) {
            if (!y1.equals(y2) || y1.signum() == 0) {
                return ECPoint.POINT_INFINITY;
            }
            lambda = x1.pow(2)
                    .multiply(BigInteger.valueOf(3))
                    .add(a)
                    .multiply(y1.shiftLeft(1).modInverse(p))
                    .mod(p);
        } else {
            lambda = y2.subtract(y1).multiply(x2.subtract(x1).modInverse(p)).mod(p);
        }
        BigInteger x3 = lambda.pow(2).subtract(x1).subtract(x2).mod(p);
        BigInteger y3 = lambda.multiply(x1.subtract(x3)).subtract(y1).mod(p);
        return new ECPoint(x3, y3);
    }

    /** {@code 04 || X || Y}, each coordinate {@code n} bytes. */
    static byte[] uncompressedPoint(ECPublicKey key, int n) {
        byte[] out = new byte[1 + 2 * n];
        out[0] = 0x04;
        fixed(key.getW().getAffineX(), out, 1, n);
        fixed(key.getW().getAffineY(), out, 1 + n, n);
        return out;
    }

    private static void fixed(BigInteger v, byte[] out, int off, int len) {
        byte[] b = v.toByteArray();
        int start = Math.max(0, b.length - len);
        System.arraycopy(b, start, out, off + len - (b.length - start), b.length - start);
    }
}
