package dev.custody.tuf;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.custody.pkcs11.KeyAlgorithm;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.yubikey.ManagementKeySource;
import dev.custody.pkcs11.yubikey.PivSlot;
import dev.custody.pkcs11.yubikey.TouchNotifier;
import dev.custody.pkcs11.yubikey.YubikeyProfile;
import dev.custody.pkcs11.yubikey.YubikeyToken;
import dev.custody.testhsm.piv.PivCard;
import dev.custody.testhsm.piv.RequiresYubikeyEmulator;
import dev.custody.testhsm.piv.YubikeyEmulator;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.testing.TokenSigner;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link SoftHsmOurWritesTheirReadsTest} with the ROOT keys on a YubiKey: the real ykcs11 talks through an
 * isolated pcscd and vpcd to an emulated PIV card (test-hsm {@code YubikeyEmulator}). The first root key is
 * generated in PIV slot 9c (PIN-always: every root signature re-verifies the PIN), the rotated root key in
 * retired slot 82; the real notary client lists the repository, and a client holding the old root accepts
 * the rotation. Other roles stay on SoftHSM2.
 */
@RequiresYubikeyEmulator
class YubikeyRootOurWritesTheirReadsTest extends SoftHsmOurWritesTheirReadsTest {
    private static final int SERIAL = 20000001;
    private static YubikeyEmulator emulator;
    private static YubikeyProfile profile;
    private static YubikeyToken yubikey;
    private static Iterator<PivSlot> rootSlots;

    @BeforeAll
    static void startYubikey() throws Exception {
        emulator = YubikeyEmulator.builder().card(PivCard.builder(SERIAL)).start();
        emulator.requireUsableInThisProcess();
        profile = YubikeyProfile.open(YubikeyEmulator.YKCS11);
        yubikey = profile.open(
                Integer.toString(SERIAL),
                PinSource.of(PivCard.DEFAULT_PIN.toCharArray()),
                ManagementKeySource.wellKnownDefault(),
                TouchNotifier.none());
        yubikey.login();
        rootSlots = List.of(PivSlot.SIGNATURE, PivSlot.RETIRED_1).iterator();
    }

    @AfterAll
    static void stopYubikey() {
        if (yubikey != null) {
            yubikey.close();
        }
        if (profile != null) {
            profile.close();
        }
        if (emulator != null) {
            emulator.close();
        }
    }

    @Override
    protected Signer newKey(String role) throws Exception {
        if (!role.equals("root")) {
            return super.newKey(role);
        }
        PivSlot slot = rootSlots.next();
        return assertTimeoutPreemptively(
                Duration.ofSeconds(60), () -> TokenSigner.of(yubikey, yubikey.generate(slot, KeyAlgorithm.EC_P256)));
    }
}
