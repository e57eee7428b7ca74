package dev.custody.daemon.ceremony;

import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.keys.KeyService;
import dev.custody.daemon.repo.RepoShared;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.NotFoundException;
import dev.custody.tuf.UnsupportedKeyTypeException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.ServerKeys;
import dev.custody.tuf.sign.Signer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The keys a {@code ceremony.prepare} names: root keys by ID (of the current root, or of this daemon's
 * inventory, certified for the GUN through its token) or as root certificates made offline, and the new
 * online (targets/snapshot) keys.
 */
final class CeremonyKeys {
    private final DaemonContext ctx;
    private final Supplier<KeyService> keys;

    CeremonyKeys(DaemonContext ctx, Supplier<KeyService> keys) {
        this.ctx = ctx;
        this.keys = keys;
    }

    /**
     * A root key named by ID: one of the current root's keys (its certificate ID or its bare key's ID), or an
     * inventory key of this daemon, for which a certificate for {@code gun} is made through its token.
     */
    TufKey rootKey(String gun, Root root, String id) throws Exception {
        Optional<String> inRoot = rootKeyIdIn(root, id);
        if (inRoot.isPresent()) {
            return root.keysOf("root").get(inRoot.get());
        }
        Signer s = keys.get()
                .findSigner(id)
                .orElseThrow(() -> new NotFoundException(
                        "key",
                        id,
                        "key " + id
                                + " is neither a root key of " + gun
                                + " nor in this daemon's inventory; for a key on the offline"
                                + " machine pass its certificate (ceremony.rootCert there) as newKey / newRootKeys"));
        return PublicKeys.toTufKey(RootCertificates.create(s, gun, ctx.clock()));
    }

    /** The root role's key ID for {@code id}, which may be the certificate's ID or the bare key's. */
    static Optional<String> rootKeyIdIn(Root root, String id) {
        for (Map.Entry<String, TufKey> e : root.keysOf("root").entrySet()) {
            if (e.getKey().equals(id) || bareId(e.getValue()).equals(id)) {
                return Optional.of(e.getKey());
            }
        }
        return Optional.empty();
    }

    static String bareId(TufKey k) {
        try {
            return PublicKeys.canonicalKeyId(k);
        } catch (UnsupportedKeyTypeException e) {
            return k.id();
        }
    }

    static TufKey certificateKey(String gun, String pem, String field) throws BadRequestException {
        X509Certificate cert;
        try {
            List<X509Certificate> certs = PublicKeys.certificates(pem.getBytes(StandardCharsets.US_ASCII));
            if (certs.isEmpty()) {
                throw new IllegalArgumentException("no certificate in it");
            }
            cert = certs.get(0);
        } catch (Exception e) {
            throw new BadRequestException(field + ": not a PEM root certificate (" + e.getMessage() + ")", field);
        }
        if (!RootCertificates.matchesGun(cert, gun)) {
            throw new BadRequestException(
                    field + ": the certificate is for " + RootCertificates.commonNameOf(cert) + ", not for " + gun,
                    field);
        }
        return PublicKeys.toTufKey(cert);
    }

    /** The new targets/snapshot key: an inventory key, the server's (snapshot, serverManaged), or a new one. */
    TufKey onlineKey(String gun, String role, CeremonyParams.Prepare p, RepoShared.Server srv) throws Exception {
        if (p.newKeyId() != null) {
            return keys.get()
                    .findSigner(p.newKeyId())
                    .map(Signer::key)
                    .orElseThrow(() -> new NotFoundException(
                            "key", p.newKeyId(), "no key " + p.newKeyId() + " in the inventory (key.list shows them)"));
        }
        if (Boolean.TRUE.equals(p.serverManaged())) {
            if (!role.equals("snapshot")) {
                throw new BadRequestException("only the snapshot key can be server-managed", "params.serverManaged");
            }
            return ServerKeys.of(srv.client()).rotate(gun, role);
        }
        return keys.get()
                .signerFactory(Optional.ofNullable(p.token()))
                .generate(gun, role)
                .key();
    }
}
