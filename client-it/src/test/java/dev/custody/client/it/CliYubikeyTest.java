package dev.custody.client.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custody.testhsm.Closeables;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryServer;
import dev.custody.testhsm.piv.PivCard;
import dev.custody.testhsm.piv.RequiresYubikeyEmulator;
import dev.custody.testhsm.piv.YubikeyEmulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A root key on a YubiKey, end to end: bin/custody → custodyd ({@code profile: yubikey} token over the
 * real ykcs11, an isolated pcscd and an emulated YubiKey whose signature slot wants a touch) → a real
 * notary-server. The CLI tells the user to touch the YubiKey while the signature waits.
 */
@RequiresYubikeyEmulator
class CliYubikeyTest {
    private static final int SERIAL = 10000301;
    private static final String MGM = "7a6b5c4d3e2f10017a6b5c4d3e2f10017a6b5c4d3e2f1001";

    @TempDir
    static Path dir;

    static YubikeyEmulator emulator;
    static NotaryServer server;
    static DaemonFixture daemon;
    static Custody custody;
    static NotaryCli notary;

    @BeforeAll
    static void start() throws Exception {
        emulator = EmulatedYubikey.start(SERIAL, MGM);
        server = NotaryServer.startHttp(Files.createDirectories(dir.resolve("notary-server")));
        daemon = new DaemonFixture(dir.resolve("d"), server.url(), null, true, EmulatedYubikey.token(dir, SERIAL, MGM));
        custody = new Custody(daemon.socket, dir.resolve("cds"));
        notary = NotaryCli.create(Files.createDirectories(dir.resolve("notary-trust")), server);
        custody.unlock("main");
    }

    @AfterAll
    static void stop() throws Exception {
        Closeables.closeAll(daemon, server, emulator);
    }

    @Test
    void init_rootKeyOnYubikeyWithTouchPolicy_cliPrintsTheTouchLine_andNotaryReadsTheRepository() throws Exception {
        String gun = "example.com/yk/" + UUID.randomUUID().toString().substring(0, 8);
        Custody.Result gen = custody.run("key", "generate", "--role", "root", "--token", "yk1", "--slot", "9c")
                .ok();
        Matcher m = Pattern.compile("keyID: ([0-9a-f]{64}) on token yk1 \\(serial " + SERIAL + ", slot 9c\\)")
                .matcher(gen.out());
        assertThat(m.find()).as(gen.out()).isTrue();
        String rootKey = m.group(1);
        assertThat(emulator.card(SERIAL).slotsWithKeys()).containsExactly(PivCard.SLOT_SIGNATURE);
        assertThat(custody.run("key", "list").ok().out())
                .containsPattern("(?m)^root +" + rootKey + " +yk1 \\(serial " + SERIAL + ", slot 9c\\)");

        PivCard card = emulator.card(SERIAL);
        card.setTouchPolicy(PivCard.SLOT_SIGNATURE, PivCard.TouchPolicy.ALWAYS);
        card.setTouchDelay(Duration.ofMillis(1500));
        int before = card.signatures(PivCard.SLOT_SIGNATURE);
        Custody.Result init =
                custody.run("init", gun, "--rootkey", rootKey, "-p").ok();
        // (root.json lists the key as ecdsa-x509, whose ID differs from the bare key's)
        assertThat(init.out())
                .containsPattern("Root key found, using: [0-9a-f]{64}")
                .contains("Successfully published changes for repository " + gun);
        // every root signature waited for a touch, and the CLI said so on stderr (no terminal here: CI)
        int touches = card.signatures(PivCard.SLOT_SIGNATURE) - before;
        assertThat(touches).isPositive();
        assertThat(init.err().lines().filter(l -> l.equals("custody: touch the YubiKey with serial " + SERIAL)))
                .hasSize(touches);
        assertThat(init.err().lines()).allMatch(l -> l.equals("custody: touch the YubiKey with serial " + SERIAL));

        // the real notary client trusts what the YubiKey signed
        notary.ok("list", gun);
    }
}
