package dev.custody.tuf.testing;

import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.Pkcs11;
import dev.custody.pkcs11.Pkcs11Backend;
import dev.custody.pkcs11.TokenSelector;
import dev.custody.testhsm.SoftHsm;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One fresh SoftHSM2 token per key holder, opened and logged in through one PKCS#11 backend: the holders of
 * threshold roots and ceremonies. Index {@code i} is the {@code i}-th holder named at {@link #open}.
 */
public final class HolderTokens implements AutoCloseable {
    private final Pkcs11Backend backend;
    private final List<HsmToken> tokens;

    private HolderTokens(Pkcs11Backend backend, List<HsmToken> tokens) {
        this.backend = backend;
        this.tokens = tokens;
    }

    /** Tokens labelled {@code PREFIX-HOLDER-RANDOM}, one per holder. */
    public static HolderTokens open(String prefix, List<String> holders) throws Exception {
        // every token exists before the module is opened: the slot list is read at C_Initialize
        List<SoftHsm.Token> made = new ArrayList<>();
        for (String holder : holders) {
            made.add(SoftHsm.forThisProcess()
                    .createToken(prefix + "-" + holder + "-"
                            + UUID.randomUUID().toString().substring(0, 6)));
        }
        Pkcs11Backend backend = Pkcs11.open(SoftHsm.MODULE);
        List<HsmToken> tokens = new ArrayList<>();
        HolderTokens opened = new HolderTokens(backend, tokens);
        try {
            for (SoftHsm.Token t : made) {
                HsmToken token = backend.open(
                        TokenSelector.byLabel(t.label()),
                        PinSource.of(t.userPin().toCharArray()));
                tokens.add(token);
                token.login();
            }
        } catch (Exception | Error e) {
            opened.close();
            throw e;
        }
        return opened;
    }

    /** The token of holder {@code i}. */
    public HsmToken get(int i) {
        return tokens.get(i);
    }

    @Override
    public void close() {
        tokens.forEach(HsmToken::close);
        backend.close();
    }
}
