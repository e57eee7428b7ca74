package dev.custody.client.it;

import dev.custody.testhsm.DaemonYaml;
import dev.custody.testhsm.piv.PivCard;
import dev.custody.testhsm.piv.YubikeyEmulator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;

/** One emulated YubiKey with its own management key, as the CLI's YubiKey tests give it to custodyd as "yk1". */
final class EmulatedYubikey {
    private EmulatedYubikey() {}

    /** The emulator with one card ({@code serial}, management key {@code mgmHex}), usable by this JVM's ykcs11. */
    static YubikeyEmulator start(int serial, String mgmHex) throws IOException {
        YubikeyEmulator emulator = YubikeyEmulator.builder()
                .card(PivCard.builder(serial).managementKey(HexFormat.of().parseHex(mgmHex)))
                .start();
        try {
            emulator.requireUsableInThisProcess();
            return emulator;
        } catch (RuntimeException e) {
            emulator.close();
            throw e;
        }
    }

    /**
     * The {@code tokens} item for {@link DaemonFixture}: {@code yk1}, {@code profile: yubikey} on card {@code
     * serial}, its PIN and management key from files written in {@code dir}.
     */
    static String token(Path dir, int serial, String mgmHex) throws IOException {
        Path pin = Files.writeString(dir.resolve("yk-pin"), PivCard.DEFAULT_PIN + "\n");
        Path mgm = Files.writeString(dir.resolve("yk-mgm"), mgmHex + "\n");
        return DaemonYaml.yubikeyToken("yk1", YubikeyEmulator.YKCS11, serial, "file:" + pin, "file:" + mgm);
    }
}
