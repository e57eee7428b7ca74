package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custody.protocol.Change;
import dev.custody.protocol.RepoStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The CLI's tables escape control characters from servers and callers (issue #11, property 7): a
 * staged name with ESC or LF printed by {@code custody status} neither colours the terminal nor makes a
 * fake row.
 */
class TableEscapeTest {
    @Test
    void changesTable_controlCharactersInNames_escaped_noFakeRow() {
        String out = RepoCommands.changesTable(new RepoStatus(
                "example.com/x\u001b[31m",
                List.of(
                        new Change("create", "targets", "target", "v1\n1    delete    targets    target    fake"),
                        new Change("create", "targets", "target", "bell\u0007\u009b\ud800"))));
        assertThat(out)
                .doesNotContain("\u001b")
                .doesNotContain("\u0007")
                .doesNotContain("\u009b")
                .doesNotContain("\ud800");
        assertThat(out.lines()).hasSize(6).as("heading, blank, header, dashes, two rows");
        assertThat(out)
                .contains("example.com/x\\x1b[31m")
                .contains("v1\\x0a1    delete")
                .contains("bell\\x07\\x9b\\ud800");
    }

    @Test
    void escape_plainAndSurrogatePairs_unchanged() {
        assertThat(Table.escape("registry.example.com/app")).isEqualTo("registry.example.com/app");
        assertThat(Table.escape("emoji \ud83d\ude00 ü")).isEqualTo("emoji \ud83d\ude00 ü");
    }
}
