package dev.custody.daemon.audit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a flood of denied requests from flooding the audit log, without losing the fact. Per caller
 * uid and interval: the first denied request is written in full (its own line, synced before the
 * reply, as any other); the ones after it in the same interval are only counted, and when the interval
 * is over one {@value #METHOD} line records how many there were, which methods, and from when to when
 * (also at {@link #close}, so a stop loses nothing). A caller that is denied once in a while gets a full
 * line every time.
 *
 * <p>Call sequence: construct → {@link #admit} for every denied request, from any thread → {@link #close}
 * before the audit log is closed.
 */
public final class DeniedCoalescer implements Closeable {
    /** The audit method of a coalesced line. */
    public static final String METHOD = "policy.denied.coalesced";

    private static final System.Logger LOG = System.getLogger(DeniedCoalescer.class.getName());
    private static final int MAX_METHODS = 16;

    private final AuditLog audit;
    private final Clock clock;
    private final Duration interval;
    private final ScheduledExecutorService flusher;
    private final Map<Long, Window> windows = new HashMap<>(); // guarded by this

    private static final class Window {
        final Instant start;
        long gid;
        long pid;
        long count;
        Instant first;
        Instant last;
        final TreeSet<String> methods = new TreeSet<>();

        Window(Instant start) {
            this.start = start;
        }
    }

    public DeniedCoalescer(AuditLog audit, Clock clock, Duration interval) {
        this.audit = audit;
        this.clock = clock;
        this.interval = interval;
        this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "custodyd-denied-audit");
            t.setDaemon(true);
            return t;
        });
        long ms = Math.max(100, interval.toMillis());
        flusher.scheduleWithFixedDelay(() -> flush(false), ms, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * Whether this denied request gets its own full audit line (true: the caller writes it); false: it
     * was counted into the caller's current interval and will be written as part of a coalesced line.
     */
    public boolean admit(long uid, long gid, long pid, String method) {
        Instant now = clock.instant();
        Window ended = null;
        boolean full;
        synchronized (this) {
            Window w = windows.get(uid);
            if (w != null && !now.isBefore(w.start.plus(interval))) {
                windows.remove(uid);
                ended = w.count > 0 ? w : null;
                w = null;
            }
            full = w == null;
            if (full) {
                windows.put(uid, new Window(now));
            } else {
                w.count++;
                w.gid = gid;
                w.pid = pid;
                if (w.first == null) {
                    w.first = now;
                }
                w.last = now;
                if (w.methods.size() < MAX_METHODS) {
                    w.methods.add(method);
                }
            }
        }
        if (ended != null) {
            write(uid, ended);
        }
        return full;
    }

    /** Writes the coalesced lines of intervals that are over (all of them if {@code all}). */
    void flush(boolean all) {
        Instant now = clock.instant();
        List<Map.Entry<Long, Window>> due = new ArrayList<>();
        synchronized (this) {
            windows.entrySet().removeIf(e -> {
                boolean over = all || !now.isBefore(e.getValue().start.plus(interval));
                if (over && e.getValue().count > 0) {
                    due.add(Map.entry(e.getKey(), e.getValue()));
                }
                return over;
            });
        }
        for (Map.Entry<Long, Window> e : due) {
            write(e.getKey(), e.getValue());
        }
    }

    private void write(long uid, Window w) {
        ObjectNode d = JsonNodeFactory.instance
                .objectNode()
                .put("count", w.count)
                .put("first", w.first.toString())
                .put("last", w.last.toString())
                .put("intervalSeconds", interval.toSeconds());
        d.putArray("methods")
                .addAll(w.methods.stream()
                        .map(JsonNodeFactory.instance::textNode)
                        .toList());
        try {
            audit.append(AuditRecord.builder(METHOD)
                    .caller(uid, w.gid, w.pid)
                    .result("POLICY_DENIED")
                    .message(w.count + " more denied request(s) of uid " + uid + " in this interval, each also answered"
                            + " POLICY_DENIED; the first of the interval has its own line")
                    .details(d)
                    .build());
        } catch (IOException e) {
            LOG.log(
                    Level.ERROR,
                    "cannot record " + w.count + " denied request(s) of uid " + uid + " in the audit log: "
                            + e.getMessage());
        }
    }

    /** Writes every pending count and stops the flusher. */
    @Override
    public void close() {
        flusher.shutdownNow();
        flush(true);
    }
}
