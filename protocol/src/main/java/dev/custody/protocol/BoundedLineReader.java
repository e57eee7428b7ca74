package dev.custody.protocol;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads {@code \n}-terminated lines from a stream and never holds more than {@code maxLineBytes}
 * of one line: a longer line throws {@link LineTooLongException} as soon as the limit is passed,
 * without waiting for its end. A trailing {@code \r} is dropped.
 *
 * <p>Not thread-safe: one reader per connection. Bytes after a line's {@code \n} stay buffered for
 * the next {@link #readLine()}.
 */
public final class BoundedLineReader {
    /** Called before each blocking read, so a socket can arm the right timeout. */
    @FunctionalInterface
    public interface ReadListener {
        /** @param lineStarted true if bytes of the current line were already consumed */
        void beforeRead(boolean lineStarted) throws IOException;
    }

    /** No listener. A class, not a lambda: the CLI's start-up path then sets up no lambda machinery. */
    private static final class NoListener implements ReadListener {
        @Override
        public void beforeRead(boolean lineStarted) {}
    }

    private static final ReadListener NONE = new NoListener();

    private final InputStream in;
    private final int maxLineBytes;
    private final ReadListener listener;
    private final byte[] buf;
    private int pos;
    private int limit;
    private byte[] line = new byte[256];
    private int lineLen;

    public BoundedLineReader(InputStream in, int maxLineBytes) {
        this(in, maxLineBytes, NONE);
    }

    public BoundedLineReader(InputStream in, int maxLineBytes, ReadListener listener) {
        if (maxLineBytes < 1) {
            throw new IllegalArgumentException("maxLineBytes must be positive: " + maxLineBytes);
        }
        this.in = Objects.requireNonNull(in, "in");
        this.maxLineBytes = maxLineBytes;
        this.listener = Objects.requireNonNull(listener, "listener");
        this.buf = new byte[(int) Math.min(64 * 1024, (long) maxLineBytes + 1)];
    }

    /**
     * The next line without its terminator, or {@code null} at end of stream before any byte of a
     * new line.
     *
     * @throws LineTooLongException the line passed {@code maxLineBytes}; the stream is left in the
     *     middle of that line and the reader must not be used again
     * @throws EOFException the stream ended in the middle of a line
     */
    public byte[] readLine() throws IOException {
        lineLen = 0;
        boolean started = false;
        while (true) {
            if (pos == limit) {
                listener.beforeRead(started);
                int n = in.read(buf, 0, buf.length);
                if (n < 0) {
                    if (started) {
                        throw new EOFException("stream ended in the middle of a line (" + lineLen + " bytes)");
                    }
                    return null;
                }
                pos = 0;
                limit = n;
                if (n == 0) {
                    continue;
                }
            }
            started = true;
            int nl = -1;
            for (int i = pos; i < limit; i++) {
                if (buf[i] == '\n') {
                    nl = i;
                    break;
                }
            }
            int end = nl < 0 ? limit : nl;
            append(pos, end - pos);
            if (nl >= 0) {
                pos = nl + 1;
                int len = lineLen;
                if (len > 0 && line[len - 1] == '\r') {
                    len--;
                }
                return Arrays.copyOf(line, len);
            }
            pos = limit;
        }
    }

    private void append(int from, int count) throws LineTooLongException {
        // '\r' of a "\r\n" terminator may sit at maxLineBytes + 1; it is not content.
        if ((long) lineLen + count > maxLineBytes + 1L) {
            throw new LineTooLongException(maxLineBytes);
        }
        if (lineLen + count > line.length) {
            line = Arrays.copyOf(line, (int) Math.min(Math.max(line.length * 2L, lineLen + count), maxLineBytes + 1L));
        }
        System.arraycopy(buf, from, line, lineLen, count);
        lineLen += count;
        if (lineLen == maxLineBytes + 1 && line[lineLen - 1] != '\r') {
            throw new LineTooLongException(maxLineBytes);
        }
    }
}
