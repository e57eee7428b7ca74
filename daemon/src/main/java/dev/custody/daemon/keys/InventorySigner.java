package dev.custody.daemon.keys;

import dev.custody.protocol.CustodyException;
import dev.custody.tuf.SigningException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.sign.Signer;
import java.security.PublicKey;

/** A {@link Signer} over a recorded token key; each signature is audited ({@link KeyEvents}). */
final class InventorySigner implements Signer {
    private final TokenKeyService keys;
    private final KeyEvents events;
    private final KeyInventory.Entry entry;
    private final TufKey key;
    private final PublicKey publicKey;

    InventorySigner(TokenKeyService keys, KeyEvents events, KeyInventory.Entry entry) {
        this.keys = keys;
        this.events = events;
        this.entry = entry;
        this.publicKey = entry.decodePublicKey();
        this.key = PublicKeys.toTufKey(publicKey);
    }

    @Override
    public TufKey key() {
        return key;
    }

    @Override
    public String keyId() {
        return entry.keyId();
    }

    @Override
    public PublicKey publicKey() {
        return publicKey;
    }

    @Override
    public byte[] sign(byte[] message) throws SigningException {
        byte[] sig;
        try {
            sig = keys.sign(entry, message);
        } catch (CustodyException ex) {
            auditSignature(ex.code().name(), ex.getMessage());
            throw new KeySigningException(entry.keyId(), ex);
        }
        try {
            auditSignature("ok", null);
        } catch (IllegalStateException ex) {
            throw new SigningException(
                    entry.keyId(),
                    "signed, but the audit log failed, so the signature is" + " not used: " + ex.getMessage(),
                    ex);
        }
        return sig;
    }

    private void auditSignature(String result, String message) {
        events.record("sign", entry.keyId(), entry.role(), entry.gun(), entry, result, message);
    }

    @Override
    public String toString() {
        return "InventorySigner[" + entry.keyId() + " on " + entry.tokenName() + "]";
    }
}
