package dev.custody.tuf.repo;

import dev.custody.tuf.UnsupportedKeyTypeException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.sign.Signer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The signers available for a publish, found by the public key object a role lists. The daemon backs
 * this with its token keys; {@link #of(List)} matches by key ID or by the bare key's canonical ID, so a
 * token key can sign for its {@code ecdsa-x509} form.
 */
@FunctionalInterface
public interface KeyRing {
    /** A signer presenting exactly {@code key} (same key ID), if this ring holds its private key. */
    Optional<Signer> find(TufKey key);

    static KeyRing of(List<? extends Signer> signers) {
        List<Signer> all = new ArrayList<>(signers);
        return key -> {
            String canonical;
            try {
                canonical = PublicKeys.canonicalKeyId(key);
            } catch (UnsupportedKeyTypeException e) {
                return Optional.empty();
            }
            for (Signer s : all) {
                if (s.keyId().equals(key.id())) {
                    return Optional.of(s);
                }
                try {
                    if (PublicKeys.canonicalKeyId(s.key()).equals(canonical)) {
                        return Optional.of(s.as(key));
                    }
                } catch (UnsupportedKeyTypeException e) {
                    // not this one
                }
            }
            return Optional.empty();
        };
    }

    /** This ring, then {@code other}. */
    default KeyRing and(KeyRing other) {
        return key -> {
            Optional<Signer> s = find(key);
            return s.isPresent() ? s : other.find(key);
        };
    }
}
