package dev.custody.testhsm;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Everything logged through java.util.logging in this JVM (an in-process custodyd, a token layer) from
 * {@link #start()} to {@link #close()}, for tests that check a log line is there or that no PIN, passphrase
 * or key is in any.
 */
public final class LogCapture implements AutoCloseable {
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Logger logger;
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    };

    private LogCapture(Logger logger) {
        this.logger = logger;
        logger.addHandler(handler);
    }

    /** Captures what every logger logs (a handler on the root logger). */
    public static LogCapture start() {
        return new LogCapture(Logger.getLogger(""));
    }

    /** The records' messages as logged (unformatted), in order. */
    public List<String> messages() {
        return records.stream().map(r -> String.valueOf(r.getMessage())).toList();
    }

    /** Each record as one line: its message, its parameters if any, its exception if any. */
    public List<String> lines() {
        return records.stream()
                .map(r -> r.getMessage()
                        + (r.getParameters() == null ? "" : " " + Arrays.toString(r.getParameters()))
                        + (r.getThrown() == null ? "" : " " + r.getThrown()))
                .toList();
    }

    /** {@link #lines()} joined by newlines, to search for a secret. */
    public String text() {
        return String.join("\n", lines());
    }

    @Override
    public void close() {
        logger.removeHandler(handler);
    }
}
