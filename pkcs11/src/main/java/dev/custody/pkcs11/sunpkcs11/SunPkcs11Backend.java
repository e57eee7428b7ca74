package dev.custody.pkcs11.sunpkcs11;

import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.Pkcs11Backend;
import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import dev.custody.pkcs11.TokenNotFoundException;
import dev.custody.pkcs11.TokenSelector;
import java.nio.file.Path;
import java.util.List;

/**
 * The JDK-only backend: the SunPKCS11 provider, configured inline (no configuration file, and the
 * PIN never in a configuration). What it cannot do, it refuses with {@link
 * dev.custody.pkcs11.UnsupportedByBackendException}:
 * <ul>
 *   <li>list, find or delete keys by CKA_ID/CKA_LABEL: the provider's KeyStore only shows private keys
 *       that have a certificate object, and it has no delete for key-only entries;</li>
 *   <li>import software keys: the KeyStore wants a certificate chain;</li>
 *   <li>Ed25519: SunPKCS11 on JDK 17 has no EdDSA;</li>
 *   <li>report key attributes: no provider API reads CKA_SENSITIVE/CKA_EXTRACTABLE.</li>
 * </ul>
 * It can: list tokens, select by label/serial (through the JDK's wrapper, see {@link JdkSlots}),
 * log in (once, never retrying a wrong PIN), generate P-256 token keys with Custody's protection
 * attributes, and sign with the keys it generated in this process.
 */
public final class SunPkcs11Backend implements Pkcs11Backend {
    public static final String NAME = "sunpkcs11";
    private final Path module;
    private final JdkSlots slots;

    private SunPkcs11Backend(Path module, JdkSlots slots) {
        this.module = module;
        this.slots = slots;
    }

    public static SunPkcs11Backend open(Path module) throws TokenException {
        if (java.security.Security.getProvider("SunPKCS11") == null) {
            throw new TokenException(
                    TokenErrorCode.MODULE_ERROR,
                    "this JDK has no SunPKCS11 provider" + " (module jdk.crypto.cryptoki)");
        }
        return new SunPkcs11Backend(module, JdkSlots.open(module));
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<TokenInfo> listTokens() throws TokenException {
        return slots.list(false);
    }

    @Override
    public HsmToken open(TokenSelector selector, PinSource pins) throws TokenException {
        if (!selector.identifiesToken()) {
            throw new TokenException(TokenErrorCode.BAD_INPUT, "the selector names no token");
        }
        TokenInfo found = null;
        for (TokenInfo t : slots.list(true)) {
            if (t.present() && selector.matches(t)) {
                if (found != null) {
                    throw new TokenNotFoundException("more than one token matches " + selector + "; select by serial");
                }
                found = t;
            }
        }
        if (found == null) {
            throw new TokenNotFoundException("no token present matches " + selector);
        }
        return new SunPkcs11Token(module, found, selector, slots, pins);
    }

    @Override
    public void close() {
        // SunPKCS11 keeps the module loaded for the JVM's lifetime; nothing to release here.
    }
}
