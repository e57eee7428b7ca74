package dev.custody.tuf.verify;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a repository's first root is trusted (Notary's {@code trust_pinning}): per GUN, a list of pinned
 * root key IDs; else, per GUN prefix (longest wins), CA certificates the root certificate must chain to;
 * else trust on first use unless {@code disableTofu}. A GUN key ending in {@code *} in {@code keyIds}
 * is a prefix (longest wins). Pins are applied to every new root, as Notary does.
 *
 * <p>A pinned key ID matches either the certificate-bearing ID from {@code root.json} (Notary's rule) or
 * the bare public key's "canonical" ID that {@code notary key list} shows.
 */
public record TrustPinning(
        Map<String, List<String>> keyIds, Map<String, List<X509Certificate>> cas, boolean disableTofu) {
    public static final TrustPinning TOFU = new TrustPinning(Map.of(), Map.of(), false);

    public TrustPinning {
        keyIds = Map.copyOf(keyIds);
        cas = Map.copyOf(cas);
    }

    public static TrustPinning keyIds(String gun, List<String> ids) {
        return new TrustPinning(Map.of(gun, List.copyOf(ids)), Map.of(), true);
    }

    public static TrustPinning ca(String gunPrefix, List<X509Certificate> caCerts) {
        return new TrustPinning(Map.of(), Map.of(gunPrefix, List.copyOf(caCerts)), true);
    }

    Optional<List<String>> keyIdsFor(String gun) {
        List<String> exact = keyIds.get(gun);
        if (exact != null) {
            return Optional.of(exact);
        }
        String best = null;
        for (String k : keyIds.keySet()) {
            if (k.endsWith("*")
                    && gun.startsWith(k.substring(0, k.length() - 1))
                    && (best == null || k.length() > best.length())) {
                best = k;
            }
        }
        return Optional.ofNullable(best).map(keyIds::get);
    }

    Optional<List<X509Certificate>> casFor(String gun) {
        String best = null;
        for (String k : cas.keySet()) {
            if (gun.startsWith(k) && (best == null || k.length() > best.length())) {
                best = k;
            }
        }
        return Optional.ofNullable(best).map(cas::get);
    }
}
