package dev.custody.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BoundedLineReaderTest {

    private static InputStream of(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String str(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void readLine_severalLinesInOneChunk_returnsEachThenNull() throws IOException {
        BoundedLineReader r = new BoundedLineReader(of("a\nbb\r\n\nccc\n"), 10);
        assertThat(str(r.readLine())).isEqualTo("a");
        assertThat(str(r.readLine())).isEqualTo("bb");
        assertThat(str(r.readLine())).isEmpty();
        assertThat(str(r.readLine())).isEqualTo("ccc");
        assertThat(r.readLine()).isNull();
    }

    @Test
    void readLine_exactlyAtLimit_isAccepted() throws IOException {
        String line = "x".repeat(16);
        BoundedLineReader r = new BoundedLineReader(of(line + "\r\n" + line + "\n"), 16);
        assertThat(str(r.readLine())).isEqualTo(line);
        assertThat(str(r.readLine())).isEqualTo(line);
    }

    @Test
    void readLine_oneOverLimit_throwsWithoutWaitingForNewline() {
        // The stream fails the test if the reader asks for more than limit + 1 bytes of the line.
        int limit = 100_000;
        InputStream in = new InputStream() {
            long served;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (served > limit) {
                    throw new AssertionError("reader kept reading after " + served + " bytes");
                }
                int n = Math.min(len, 7_000);
                java.util.Arrays.fill(b, off, off + n, (byte) 'a');
                served += n;
                return n;
            }
        };
        BoundedLineReader r = new BoundedLineReader(in, limit);
        assertThatThrownBy(r::readLine)
                .isInstanceOf(LineTooLongException.class)
                .satisfies(
                        e -> assertThat(((LineTooLongException) e).limitBytes()).isEqualTo(limit));
    }

    @Test
    void readLine_streamEndsMidLine_throwsEof() throws IOException {
        BoundedLineReader r = new BoundedLineReader(of("ok\npartial"), 100);
        assertThat(str(r.readLine())).isEqualTo("ok");
        assertThatThrownBy(r::readLine).isInstanceOf(EOFException.class).hasMessageContaining("7 bytes");
    }

    @Test
    void readLine_crAtLimitPlusOneFollowedByMore_isTooLong() {
        BoundedLineReader r = new BoundedLineReader(of("abcd\rX\n"), 4);
        assertThatThrownBy(r::readLine).isInstanceOf(LineTooLongException.class);
    }

    @Test
    void listener_toldWhetherLineStarted() throws IOException {
        List<Boolean> calls = new ArrayList<>();
        InputStream oneByteAtATime = new InputStream() {
            final byte[] data = "ab\nc\n".getBytes(StandardCharsets.US_ASCII);
            int i;

            @Override
            public int read() {
                return i < data.length ? data[i++] : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int c = read();
                if (c < 0) {
                    return -1;
                }
                b[off] = (byte) c;
                return 1;
            }
        };
        BoundedLineReader r = new BoundedLineReader(oneByteAtATime, 10, calls::add);
        assertThat(str(r.readLine())).isEqualTo("ab");
        assertThat(calls).containsExactly(false, true, true);
        calls.clear();
        assertThat(str(r.readLine())).isEqualTo("c");
        assertThat(calls).containsExactly(false, true);
    }
}
