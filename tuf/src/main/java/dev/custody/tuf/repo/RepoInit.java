package dev.custody.tuf.repo;

import dev.custody.tuf.SigningException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.keys.RootCertificates;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.sign.SignerFactory;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code notary init} through this module: a root key (its self-signed certificate made through the
 * Signer), targets key and — unless server-managed — snapshot key from the {@link SignerFactory}; the
 * timestamp key (and a server-managed snapshot key) from the server.
 *
 * @param editor the new repository, ready for edits and {@link RepoEditor#buildPublish}
 * @param signers the keys made for it (root presented as its {@code ecdsa-x509} certificate)
 */
public record RepoInit(RepoEditor editor, List<Signer> signers) {
    public RepoInit {
        signers = List.copyOf(signers);
    }

    public KeyRing keyRing() {
        return KeyRing.of(signers);
    }

    public static RepoInit create(
            String gun, SignerFactory keys, ServerKeys server, boolean serverManagedSnapshot, Clock clock)
            throws SigningException, IOException {
        // one root key: the threshold form with n = k = 1
        return create(gun, List.of(keys.generate(gun, "root")), 1, keys, server, serverManagedSnapshot, clock);
    }

    /**
     * {@code init} with a threshold root: {@code rootThreshold} of the {@code rootKeys} (one per token,
     * each already generated on its token) must sign every root. A self-signed certificate is made through
     * each root key's own Signer, so each token is used once here for its certificate; the repository's
     * root signatures are made at {@link RepoEditor#buildPublish} by the root keys the ring holds.
     * Targets and snapshot keys come from {@code keys}, as in {@link #create(String, SignerFactory,
     * ServerKeys, boolean, Clock)}.
     *
     * @param rootKeys the root keys, bare ({@code ecdsa}); {@link #signers()} returns them as certificates
     */
    public static RepoInit create(
            String gun,
            List<? extends Signer> rootKeys,
            int rootThreshold,
            SignerFactory keys,
            ServerKeys server,
            boolean serverManagedSnapshot,
            Clock clock)
            throws SigningException, IOException {
        List<Signer> made = new ArrayList<>();
        List<TufKey> rootCerts = new ArrayList<>();
        for (Signer root : rootKeys) {
            TufKey cert = PublicKeys.toTufKey(RootCertificates.create(root, gun, clock));
            rootCerts.add(cert);
            made.add(root.as(cert));
        }
        Signer targets = keys.generate(gun, "targets");
        made.add(targets);
        TufKey snapshotKey;
        if (serverManagedSnapshot) {
            snapshotKey = server.get(gun, "snapshot");
        } else {
            Signer snapshot = keys.generate(gun, "snapshot");
            made.add(snapshot);
            snapshotKey = snapshot.key();
        }
        TufKey timestampKey = server.get(gun, "timestamp");
        return new RepoInit(
                RepoEditor.create(gun, rootCerts, rootThreshold, targets.key(), snapshotKey, timestampKey, clock),
                made);
    }
}
