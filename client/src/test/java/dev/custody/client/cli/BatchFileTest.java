package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.protocol.BatchTarget;
import java.io.IOException;
import java.io.StringReader;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchFileTest {
    private static final String SHA = "a".repeat(64);

    private static List<BatchTarget> parse(String s) throws IOException {
        return BatchFile.parse(new StringReader(s), "t.txt");
    }

    @Test
    void parse_skipsBlankAndComments_acceptsTabsAndSha512() throws IOException {
        assertThat(parse("# header\n\n  a.tgz 10 " + SHA + "\r\nb\t0\tsha256:" + SHA.toUpperCase() + "\t"
                        + "b".repeat(128)))
                .containsExactly(
                        new BatchTarget("a.tgz", 10, SHA, null), new BatchTarget("b", 0, SHA, "b".repeat(128)));
    }

    @Test
    void parse_wrongFieldCount_namesLine() {
        assertThatThrownBy(() -> parse("a 1 " + SHA + "\nb 1\n"))
                .isInstanceOf(Failure.UsageException.class)
                .hasMessage("t.txt:2: expected 'TARGET SIZE SHA256 [SHA512]', got 2 fields");
    }

    @Test
    void parse_negativeSize() {
        assertThatThrownBy(() -> parse("a -1 " + SHA)).hasMessage("t.txt:1: SIZE must not be negative, got -1");
    }

    @Test
    void parse_badDigest() {
        assertThatThrownBy(() -> parse("a 1 abc")).hasMessageStartingWith("t.txt:1: SHA256 must be a SHA-256 digest");
    }

    @Test
    void parse_duplicateTarget() {
        assertThatThrownBy(() -> parse("a 1 " + SHA + "\na 2 " + SHA)).hasMessage("t.txt:2: target 'a' appears twice");
    }

    @Test
    void parse_empty() {
        assertThatThrownBy(() -> parse("# nothing\n")).hasMessageStartingWith("t.txt: no targets");
    }

    @Test
    void chunks_splitUnderTheRequestLimit() {
        List<BatchTarget> many = Collections.nCopies(4500, new BatchTarget("x", 1, SHA, null));
        assertThat(BatchFile.chunks(many, RepoCommands.BATCH_PER_REQUEST))
                .extracting(List::size)
                .containsExactly(2000, 2000, 500);
    }
}
