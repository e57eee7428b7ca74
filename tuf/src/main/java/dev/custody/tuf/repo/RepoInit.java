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

    public static RepoInit create(String gun, SignerFactory keys, ServerKeys server, boolean serverManagedSnapshot,
            Clock clock) throws SigningException, IOException {
        List<Signer> made = new ArrayList<>();
        Signer root = keys.generate(gun, "root");
        TufKey rootCert = PublicKeys.toTufKey(RootCertificates.create(root, gun, clock));
        made.add(root.as(rootCert));
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
        return new RepoInit(RepoEditor.create(gun, rootCert, targets.key(), snapshotKey, timestampKey, clock), made);
    }
}
