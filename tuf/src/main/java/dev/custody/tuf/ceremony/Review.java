package dev.custody.tuf.ceremony;

import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.TufKey;
import java.util.List;
import java.util.Map;

/**
 * A bundle that {@link Ceremony#verifyForSigning} accepted, with what a custodian is shown before signing.
 * Only {@code verifyForSigning} makes one, so {@link Ceremony#addSignatures} signs only checked bundles.
 */
public final class Review {
    private final Bundle bundle;
    private final Signed<Root> baseRoot;
    private final List<String> summary;
    private final Map<String, List<TufKey>> signingKeys;

    Review(Bundle bundle, Signed<Root> baseRoot, List<String> summary, Map<String, List<TufKey>> signingKeys) {
        this.bundle = bundle;
        this.baseRoot = baseRoot;
        this.summary = List.copyOf(summary);
        this.signingKeys = Map.copyOf(signingKeys);
    }

    /** The bundle as checked. */
    public Bundle bundle() {
        return bundle;
    }

    /**
     * The base root, verified from the signer's trusted root (directly or through the bundle's root chain);
     * the signer may keep it as its new trusted root.
     */
    public Signed<Root> baseRoot() {
        return baseRoot;
    }

    /** The summary lines to show (equal to the bundle's). */
    public List<String> summary() {
        return summary;
    }

    /** Role → the keys whose signatures count for it (for root: the base root's and the new root's root keys). */
    public Map<String, List<TufKey>> signingKeys() {
        return signingKeys;
    }
}
