package dev.custody.daemon;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One-line logging to stderr. Under systemd ({@code $JOURNAL_STREAM} set) each line starts with a
 * syslog priority ({@code <6>}) that journald turns into the entry's priority; otherwise lines carry
 * a timestamp and level. {@link Manager} keeps handlers alive until the daemon's own shutdown hook
 * has finished, so messages logged while stopping are not lost.
 */
public final class DaemonLogging {
    private DaemonLogging() {}

    /** A LogManager whose reset waits for {@link #shutdownComplete()}. */
    public static final class Manager extends LogManager {
        private static volatile boolean mayReset;

        @Override
        public void reset() {
            if (mayReset) {
                super.reset();
            }
        }
    }

    /** Lets JUL release its handlers (called last by the shutdown hook). */
    public static void shutdownComplete() {
        Manager.mayReset = true;
    }

    /** Installs the stderr handler on the root logger. */
    public static void install(boolean journal, boolean debug) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Handler h = new StderrHandler(System.err, journal);
        h.setLevel(Level.ALL);
        root.addHandler(h);
        root.setLevel(debug ? Level.FINE : Level.INFO);
    }

    private static final class StderrHandler extends Handler {
        private final PrintStream out;

        StderrHandler(PrintStream out, boolean journal) {
            this.out = out;
            setFormatter(new OneLine(journal));
        }

        @Override
        public synchronized void publish(LogRecord r) {
            if (isLoggable(r)) {
                out.print(getFormatter().format(r));
                out.flush();
            }
        }

        @Override
        public void flush() {
            out.flush();
        }

        @Override
        public void close() {
            out.flush();
        }
    }

    private static final class OneLine extends Formatter {
        private final boolean journal;

        OneLine(boolean journal) {
            this.journal = journal;
        }

        @Override
        public String format(LogRecord r) {
            StringBuilder sb = new StringBuilder();
            int v = r.getLevel().intValue();
            if (journal) {
                sb.append(
                        v >= Level.SEVERE.intValue()
                                ? "<3>"
                                : v >= Level.WARNING.intValue() ? "<4>" : v >= Level.INFO.intValue() ? "<6>" : "<7>");
            } else {
                sb.append(Instant.ofEpochMilli(r.getMillis()))
                        .append(' ')
                        .append(r.getLevel().getName())
                        .append(' ');
            }
            sb.append(formatMessage(r).replace('\n', ' '));
            if (r.getThrown() != null) {
                StringWriter sw = new StringWriter();
                r.getThrown().printStackTrace(new PrintWriter(sw));
                for (String line : sw.toString().split("\n")) {
                    sb.append(System.lineSeparator())
                            .append(journal ? "<3>  " : "  ")
                            .append(line);
                }
            }
            return sb.append(System.lineSeparator()).toString();
        }
    }
}
