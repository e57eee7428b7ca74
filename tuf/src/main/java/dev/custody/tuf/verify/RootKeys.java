package dev.custody.tuf.verify;

import dev.custody.tuf.TrustPinException;
import dev.custody.tuf.UnsupportedKeyTypeException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.KeyTypes;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.TufKey;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which root keys of a root count, by Notary's rules ({@code trustpinning.ValidateRoot}): an
 * {@code *-x509} root key counts only if its bundle starts with a non-CA leaf whose CN matches the GUN
 * (trailing {@code *} wildcard allowed), not signed with SHA-1, and — when {@code now} is given —
 * within its validity. Keys of other types count as they are (Notary itself only accepts certificates).
 */
final class RootKeys {
    private RootKeys() {}

    static Map<String, TufKey> usable(Root root, String gun, Instant now) {
        Map<String, TufKey> out = new LinkedHashMap<>();
        for (Map.Entry<String, TufKey> e : root.keysOf("root").entrySet()) {
            TufKey key = e.getValue();
            if (!KeyTypes.isX509(key.keyType())) {
                out.put(e.getKey(), key);
                continue;
            }
            Optional<List<X509Certificate>> bundle = bundle(key);
            if (bundle.isEmpty()) {
                continue;
            }
            X509Certificate leaf = bundle.get().get(0);
            if (leaf.getBasicConstraints() >= 0
                    || !RootCertificates.matchesGun(leaf, gun)
                    || leaf.getSigAlgName().toUpperCase(Locale.ROOT).contains("SHA1")) {
                continue;
            }
            if (now != null
                    && (now.isBefore(leaf.getNotBefore().toInstant())
                            || now.isAfter(leaf.getNotAfter().toInstant()))) {
                continue;
            }
            out.put(e.getKey(), key);
        }
        return out;
    }

    /** Keeps the keys the trust pinning accepts for {@code gun}. */
    static Map<String, TufKey> pinned(
            Map<String, TufKey> keys, String gun, TrustPinning pinning, boolean firstBootstrap, Instant now)
            throws TrustPinException {
        Optional<List<String>> ids = pinning.keyIdsFor(gun);
        Map<String, TufKey> out = new LinkedHashMap<>();
        if (ids.isPresent()) {
            for (Map.Entry<String, TufKey> e : keys.entrySet()) {
                String canonical;
                try {
                    canonical = PublicKeys.canonicalKeyId(e.getValue());
                } catch (UnsupportedKeyTypeException ex) {
                    continue;
                }
                if (ids.get().contains(e.getKey()) || ids.get().contains(canonical)) {
                    out.put(e.getKey(), e.getValue());
                }
            }
        } else {
            Optional<List<X509Certificate>> cas = pinning.casFor(gun);
            if (cas.isPresent()) {
                for (Map.Entry<String, TufKey> e : keys.entrySet()) {
                    Optional<List<X509Certificate>> bundle = bundle(e.getValue());
                    if (bundle.isPresent() && chainsTo(bundle.get(), cas.get(), now)) {
                        out.put(e.getKey(), e.getValue());
                    }
                }
            } else if (pinning.disableTofu() && firstBootstrap) {
                throw new TrustPinException(
                        gun, "no pinned key ID or CA for this GUN and trust on first use is disabled");
            } else {
                return keys;
            }
        }
        if (out.isEmpty()) {
            throw new TrustPinException(gun, "no root key matches the trust pinning for this GUN");
        }
        return out;
    }

    private static Optional<List<X509Certificate>> bundle(TufKey key) {
        try {
            List<X509Certificate> certs = PublicKeys.certificates(key.publicValue());
            return certs.isEmpty() ? Optional.empty() : Optional.of(certs);
        } catch (CertificateException e) {
            return Optional.empty();
        }
    }

    private static boolean chainsTo(List<X509Certificate> bundle, List<X509Certificate> cas, Instant now) {
        try {
            Set<TrustAnchor> anchors = new HashSet<>();
            for (X509Certificate ca : cas) {
                anchors.add(new TrustAnchor(ca, null));
            }
            X509CertSelector sel = new X509CertSelector();
            sel.setCertificate(bundle.get(0));
            PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, sel);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(now));
            params.addCertStore(
                    CertStore.getInstance("Collection", new CollectionCertStoreParameters(new ArrayList<>(bundle))));
            CertPathBuilder.getInstance("PKIX").build(params);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
