package dev.custody.p11module;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custody.daemon.policy.UnixAccounts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's install step, as written: scripts/install-pkcs11-module.sh puts libcustody-pkcs11.so into
 * /usr/lib/x86_64-linux-gnu/pkcs11/ and custody.module into p11-kit's module directory, and
 * {@code p11-kit list-modules} then shows the module and its token. Installs system-wide, so root only
 * (CI runs as root).
 */
class InstallStepTest {
    @TempDir
    Path dir;

    @Test
    void installScript_p11KitListModulesShowsCustodyToken() throws Exception {
        Assumptions.assumeTrue(UnixAccounts.selfUid() == 0, "installs into /usr: root only");
        Path repo = Path.of("").toAbsolutePath().getParent();
        FrontDoorHarness.Run install =
                run(List.of(repo.resolve("scripts/install-pkcs11-module.sh").toString()));
        assertThat(install.exit()).as(install.all()).isZero();
        Path lib = Path.of("/usr/lib/x86_64-linux-gnu/pkcs11/libcustody-pkcs11.so");
        assertThat(lib).isRegularFile();
        assertThat(Files.readString(Path.of("/usr/share/p11-kit/modules/custody.module")))
                .contains("module: " + lib);
        FrontDoorHarness.Run list = run(List.of("p11-kit", "list-modules"));
        assertThat(list.exit()).as(list.all()).isZero();
        assertThat(list.out())
                .contains("custody: " + lib, "library-description: custodyd PKCS#11 front door", "token: custody");
        String block = list.out()
                .substring(list.out().indexOf("custody: "))
                .lines()
                .skip(1)
                .takeWhile(l -> l.startsWith(" "))
                .reduce("", (a, b) -> a + b + "\n");
        assertThat(block).contains("token-initialized").doesNotContain("login-required");
    }

    private FrontDoorHarness.Run run(List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment()
                .putAll(Map.of("CUSTODY_PKCS11_CONF", dir.resolve("none.conf").toString()));
        return FrontDoorHarness.finish(pb.start(), java.time.Duration.ofSeconds(120));
    }
}
