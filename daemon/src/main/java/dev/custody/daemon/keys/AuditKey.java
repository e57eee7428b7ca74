package dev.custody.daemon.keys;

import dev.custody.daemon.audit.AuditCheckpoints;
import dev.custody.protocol.CustodyException;
import dev.custody.tuf.UnsupportedKeyTypeException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.Signature;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.verify.SignatureVerifier;
import java.io.IOException;
import java.util.Map;

/**
 * The audit key ({@code audit.checkpoint.key}): a key in the inventory whose private half stays on its
 * token. Checkpoints are signed there (TUF format, raw r‖s for ECDSA) and verified with the public key
 * recorded when the key was made. Its signatures are not audited as {@code sign} lines: the
 * {@code audit.checkpoint} line is their record.
 */
final class AuditKey implements AuditCheckpoints.Key {
    private final TokenKeyService keys;
    private final KeyInventory.Entry entry;
    private final TufKey publicKey;

    AuditKey(TokenKeyService keys, KeyInventory.Entry entry) {
        this.keys = keys;
        this.entry = entry;
        this.publicKey = PublicKeys.toTufKey(entry.decodePublicKey());
    }

    @Override
    public String keyId() {
        return entry.keyId();
    }

    @Override
    public byte[] sign(byte[] message) throws IOException {
        try {
            return keys.sign(entry, message);
        } catch (CustodyException e) {
            throw new IOException(
                    "audit key " + entry.keyId() + " on token " + entry.tokenName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean verify(byte[] message, byte[] signature) {
        try {
            String method = dev.custody.tuf.model.KeyTypes.signingMethod(publicKey.keyType())
                    .orElse("ecdsa");
            return SignatureVerifier.verify(
                    publicKey, new Signature(publicKey.id(), method, signature, Map.of()), message, "audit");
        } catch (UnsupportedKeyTypeException e) {
            return false;
        }
    }
}
