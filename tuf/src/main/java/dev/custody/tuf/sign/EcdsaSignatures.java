package dev.custody.tuf.sign;

import java.io.IOException;
import java.math.BigInteger;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;

/** ECDSA signature encodings: TUF carries raw {@code r‖s}; X.509 and JCA's default want DER. */
public final class EcdsaSignatures {
    private EcdsaSignatures() {}

    /** Raw {@code r‖s} (two equal halves) to DER {@code SEQUENCE { INTEGER r, INTEGER s }}. */
    public static byte[] rawToDer(byte[] raw) {
        if (raw.length == 0 || raw.length % 2 != 0) {
            throw new IllegalArgumentException(
                    "raw ECDSA signature must have two equal halves, got " + raw.length + " bytes");
        }
        int n = raw.length / 2;
        ASN1EncodableVector v = new ASN1EncodableVector();
        v.add(new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(raw, 0, n))));
        v.add(new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(raw, n, raw.length))));
        try {
            return new DERSequence(v).getEncoded();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** DER to raw {@code r‖s} with each half {@code fieldBytes} long (32 for P-256). */
    public static byte[] derToRaw(byte[] der, int fieldBytes) {
        ASN1Sequence seq = ASN1Sequence.getInstance(der);
        byte[] out = new byte[2 * fieldBytes];
        put(ASN1Integer.getInstance(seq.getObjectAt(0)).getPositiveValue(), out, 0, fieldBytes);
        put(ASN1Integer.getInstance(seq.getObjectAt(1)).getPositiveValue(), out, fieldBytes, fieldBytes);
        return out;
    }

    private static void put(BigInteger v, byte[] out, int off, int len) {
        byte[] b = v.toByteArray();
        int start = b.length > len ? b.length - len : 0;
        if (b.length - start > len) {
            throw new IllegalArgumentException("integer too large for field");
        }
        System.arraycopy(b, start, out, off + len - (b.length - start), b.length - start);
    }
}
