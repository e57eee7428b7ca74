package dev.custody.tuf;

import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.Pkcs11;
import dev.custody.pkcs11.Pkcs11Backend;
import dev.custody.pkcs11.TokenSelector;
import dev.custody.testhsm.SoftHsm;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.testing.TokenSigner;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link OurWritesTheirReadsTest} with every key of ours (root, targets, snapshot, delegation, rotated
 * keys) generated on a SoftHSM2 token through the pkcs11 module and signing there, root certificates
 * included: the private keys never exist outside the token.
 */
class SoftHsmOurWritesTheirReadsTest extends OurWritesTheirReadsTest {
    private static Pkcs11Backend backend;
    private static HsmToken token;
    private static final AtomicInteger counter = new AtomicInteger();

    @BeforeAll
    static void openToken() throws Exception {
        String label = "tuf-" + UUID.randomUUID().toString().substring(0, 8);
        SoftHsm.Token t = SoftHsm.forThisProcess().createToken(label);
        backend = Pkcs11.open(SoftHsm.MODULE);
        token = backend.open(
                TokenSelector.byLabel(label), PinSource.of(t.userPin().toCharArray()));
        token.login();
    }

    @AfterAll
    static void closeToken() {
        if (token != null) {
            token.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @Override
    protected Signer newKey(String role) throws Exception {
        return TokenSigner.generate(token, role.replace('/', '-') + "-" + counter.incrementAndGet());
    }
}
