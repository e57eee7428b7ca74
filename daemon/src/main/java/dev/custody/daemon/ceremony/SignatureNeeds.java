package dev.custody.daemon.ceremony;

import dev.custody.daemon.repo.TokenHolderGate;
import dev.custody.tuf.TufException;
import dev.custody.tuf.ceremony.Bundle;
import dev.custody.tuf.ceremony.Review;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.TufKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Whose signatures a reviewed bundle needs: for the token-holder gate, and what is still missing. */
final class SignatureNeeds {
    private SignatureNeeds() {}

    /**
     * What the offline side may sign, for the token-holder gate: a new root by a threshold of the base root's
     * root keys and of its own; any other role by a threshold of its keys in the new root. Signatures already
     * in the bundle count; the rest may come from another daemon (partial).
     */
    static List<TokenHolderGate.Need> of(Review review, Bundle parsed) throws TufException {
        List<TokenHolderGate.Need> out = new ArrayList<>();
        Root base = review.baseRoot() == null ? null : review.baseRoot().signed(); // null: an init bundle
        Signed<?> newRootSigned = parsed.changes().get("root");
        Root next = newRootSigned == null ? base : (Root) newRootSigned.signed();
        for (String role : review.signingKeys().keySet()) {
            Set<String> signedBy = Set.copyOf(parsed.signedBy(role));
            if (role.equals("root")) {
                out.add(new TokenHolderGate.Need(
                        "root", next.keysOf("root").values(), next.role("root").threshold(), signedBy, true));
                if (base != null) {
                    out.add(new TokenHolderGate.Need(
                            "root",
                            base.keysOf("root").values(),
                            base.role("root").threshold(),
                            signedBy,
                            true));
                }
            } else {
                out.add(new TokenHolderGate.Need(
                        role, review.signingKeys().get(role), next.role(role).threshold(), signedBy, true));
            }
        }
        return out;
    }

    /** The listed key a signing failure is about ({@code keyId} may be the bare key's ID). */
    static String badKey(Review review, String keyId) {
        if (keyId == null) {
            return null;
        }
        for (List<TufKey> ks : review.signingKeys().values()) {
            for (TufKey k : ks) {
                if (k.id().equals(keyId) || CeremonyKeys.bareId(k).equals(keyId)) {
                    return k.id();
                }
            }
        }
        return null;
    }

    /** What the bundle still lacks before it can be published, in words. */
    static List<String> missing(Review review, Bundle signed) throws TufException {
        List<String> out = new ArrayList<>();
        Set<String> have = new HashSet<>(signed.signedBy("root"));
        Root next = (Root) signed.changes().get("root").signed();
        if (review.baseRoot() != null) {
            Root base = review.baseRoot().signed();
            need(
                    out,
                    "root",
                    "current",
                    base.keysOf("root").keySet(),
                    base.role("root").threshold(),
                    have);
        }
        need(out, "root", "new", next.keysOf("root").keySet(), next.role("root").threshold(), have);
        return out;
    }

    private static void need(
            List<String> out, String role, String which, Set<String> keyIds, int threshold, Set<String> have) {
        List<String> yet =
                keyIds.stream().filter(k -> !have.contains(k)).sorted().toList();
        int got = keyIds.size() - yet.size();
        if (got < threshold) {
            out.add(role + ": " + (threshold - got) + " more of the " + which + " root keys (" + threshold + " of "
                    + keyIds.size() + " needed, " + got + " signed; not yet: "
                    + String.join(
                            ", ",
                            yet.stream()
                                    .map(k -> k.substring(0, Math.min(16, k.length())) + "…")
                                    .toList()) + ")");
        }
    }
}
