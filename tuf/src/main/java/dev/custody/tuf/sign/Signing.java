package dev.custody.tuf.sign;

import dev.custody.tuf.SigningException;
import dev.custody.tuf.model.Metadata;
import dev.custody.tuf.model.Signature;
import dev.custody.tuf.model.Signed;
import java.util.List;

/** Signs metadata: canonical JSON of {@code signed}, one signature per signer. */
public final class Signing {
    private Signing() {}

    /** {@code meta} as {@code role}, signed by every signer in order. */
    public static <T extends Metadata> Signed<T> sign(String role, T meta, List<? extends Signer> signers)
            throws SigningException {
        return addSignatures(Signed.unsigned(role, meta), signers);
    }

    /** Adds (or replaces) signatures by {@code signers} over the existing canonical bytes. */
    public static <T extends Metadata> Signed<T> addSignatures(Signed<T> s, List<? extends Signer> signers)
            throws SigningException {
        Signed<T> out = s;
        byte[] msg = s.canonical();
        for (Signer signer : signers) {
            out = out.plusSignature(new Signature(signer.keyId(), signer.method(), signer.sign(msg)));
        }
        return out;
    }
}
