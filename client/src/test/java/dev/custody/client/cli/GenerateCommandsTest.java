package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import org.junit.jupiter.api.Test;

class GenerateCommandsTest {
    @Test
    void completion_coversCommandsAndSubcommands() {
        CliRun r = CliRun.offline("", "gen-completion", "bash");
        assertThat(r.status()).isZero();
        assertThat(r.out())
                .contains("addhash")
                .contains("delegation")
                .contains("--pin-stdin")
                .contains("bashcompinit");
        assertThat(CliRun.offline("", "gen-completion", "fish").status()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void manPage_listsEveryVisibleCommandAndTheExitStatus() {
        String page = GenerateCommands.ManPage.render(
                Main.commandLine(new CustodyCommand(null, s -> null)), LocalDate.of(2026, 11, 1));
        assertThat(page).startsWith(".TH CUSTODY 1 \"2026-11-01\"");
        for (String c : new String[] {
            "init",
            "add",
            "addhash",
            "remove",
            "list",
            "lookup",
            "publish",
            "status",
            "reset",
            "verify",
            "witness",
            "delete",
            "key list",
            "key rotate",
            "delegation add",
            "trust sign",
            "trust inspect",
            "token unlock",
            "pending",
            "approve",
            "deny",
            "audit verify",
            "policy show"
        }) {
            assertThat(page).contains(".SS " + c.replace("-", "\\-") + "\n");
        }
        assertThat(page).contains(".SH EXIT STATUS").contains("PIN_INCORRECT").doesNotContain(".SS gen\\-man");
    }
}
