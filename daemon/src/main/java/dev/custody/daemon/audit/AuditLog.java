package dev.custody.daemon.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.state.AtomicFiles;
import dev.custody.daemon.state.LockedFiles;
import dev.custody.daemon.state.OwnedFiles;
import dev.custody.protocol.BoundedLineReader;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * Append-only, hash-chained audit log: one JSON object per line, each carrying {@code seq} (its
 * line number), {@code time}, and {@code prev}, the hex SHA-256 of the previous line's bytes
 * ({@link #GENESIS} for line 1). Changing, removing or reordering any line breaks the chain at that
 * point, and {@link #verify} says where and how.
 *
 * <p>Call sequence: {@link #open} (continues an existing chain; repairs a half-written last line
 * left by a crash and records that repair) → {@link #append} from any thread → {@link #close}.
 * {@code append} returns only after the line is on disk ({@code fdatasync}); concurrent appenders
 * share one sync (group commit). After a failed write the log refuses further appends until the
 * daemon restarts: custodyd does not sign without an audit trail.
 *
 * <p>The chain cannot tell that lines were cut off the end, so the head is also kept outside the
 * file: in memory while open ({@link #verify()} compares against it) and in {@code FILE.head} after
 * a clean close ({@link #open} refuses a log shorter than its recorded head). custodyd also logs
 * the head at start and stop, so journald holds an independent copy.
 */
public final class AuditLog implements Closeable {
    /** {@code prev} of the first line. */
    public static final String GENESIS = "0".repeat(64);
    /** Longest line the log writes or accepts. */
    public static final int MAX_LINE_BYTES = 1 << 20;

    private static final System.Logger LOG = System.getLogger(AuditLog.class.getName());
    private static final int MAX_KEPT_DROPPED_BYTES = 64 * 1024;
    /** Longest a sync waits for concurrent callers' lines (commit delay); see {@link #syncUpTo}. */
    static final long MAX_COMMIT_DELAY_NANOS = 1_000_000;
    /** Below this (a fast or memory-backed file system) the commit delay is not worth a park. */
    static final long MIN_COMMIT_DELAY_NANOS = 20_000;

    private final Path file;
    private final Path headFile;
    private final Clock clock;
    private final AuditCodec codec = new AuditCodec();
    private final ObjectMapper mapper = codec.mapper();
    private final FileChannel channel;
    private final FileLock lock;
    private final Object syncLock = new Object();

    // guarded by this
    private AuditHead head;
    // volatile as well: checkUsable() reads them without the lock (every request calls it, and a
    // contended monitor there was the daemon's most waited-on lock in a JFR profile)
    private volatile IOException failure;
    private volatile boolean closed;
    /** Where the next line goes (the file's length), or -1 to ask the file. */
    private long end = -1;
    /** SHA-256 of the lines appended; used under this only. */
    private final MessageDigest digest = AuditCodec.newSha256();
    // written under syncLock, read anywhere
    private volatile long syncedSeq;
    // group commit, guarded by syncLock: a leader is syncing; lines its last sync covered; how long it took
    private boolean syncing;
    private long lastBatch = 1;
    private long lastSyncNanos;
    private IOException syncFailure;
    /** head.seq(), readable without the lock (commit delay). Written under this. */
    private volatile long writtenSeq;
    /** Syncs done by {@link #append}, for the group-commit figures. Written under syncLock. */
    private volatile long syncs;
    /** Lines appended since open. Written under this. */
    private volatile long appended;

    private AuditLog(Path file, Clock clock, FileChannel channel, FileLock lock, AuditHead head) {
        this.file = file;
        this.headFile = AuditFiles.headFileOf(file);
        this.clock = clock;
        this.channel = channel;
        this.lock = lock;
        this.head = head;
        this.syncedSeq = head.seq();
        this.writtenSeq = head.seq();
    }

    /**
     * Opens {@code file} for appending, creating it (mode 0600) if needed, and continues its chain.
     *
     * @throws AuditLogException the file's last complete line is not an audit record, the file is
     *     shorter than the head recorded at the last clean close, or another process has it open
     * @throws dev.custody.daemon.state.UntrustedFileException the log, its directory or its head file is
     *     a symbolic link, not owned by this uid, or writable by group or others
     */
    public static AuditLog open(Path file, Clock clock) throws IOException {
        Path abs = file.toAbsolutePath();
        AtomicFiles.createDirectories(abs.getParent());
        // the log, its directory and its recorded head are custodyd's own; no link is followed (O_NOFOLLOW)
        OwnedFiles.requireOwnIfPresent(abs.getParent());
        OwnedFiles.requireOwnIfPresent(abs);
        OwnedFiles.requireOwnIfPresent(AuditFiles.headFileOf(abs));
        boolean created = !Files.exists(abs, LinkOption.NOFOLLOW_LINKS);
        FileChannel ch = LockedFiles.openPrivate(abs);
        try {
            FileLock lock = LockedFiles.tryLock(ch);
            if (lock == null) {
                throw new AuditLogException("audit log " + abs + " is already open in another custodyd");
            }
            if (created) {
                AtomicFiles.fsyncDirectory(abs.getParent());
            }
            AuditFiles.Tail tail = AuditFiles.readTail(ch, abs);
            AuditLog log = new AuditLog(abs, Objects.requireNonNull(clock, "clock"), ch, lock, tail.head());
            log.checkAgainstRecordedHead();
            if (tail.partialLength() > 0) {
                log.repairPartialTail(tail);
            }
            return log;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    public Path file() {
        return file;
    }

    /** Lines appended and syncs done since {@link #open}: lines per sync is the group-commit factor. */
    public record SyncStats(long lines, long syncs) {}

    /** Lines appended and syncs done since {@link #open}. */
    public SyncStats syncStats() {
        return new SyncStats(appended, syncs); // no lock: close() holds this, and syncUpTo takes syncLock before this
    }

    /** The chain's end: last sequence number and hash. */
    public synchronized AuditHead head() {
        return head;
    }

    /** Throws if appends would fail (closed, or an earlier write failed). */
    public void checkUsable() throws AuditLogException {
        if (closed) {
            throw new AuditLogException("audit log " + file + " is closed");
        }
        if (failure != null) {
            throw new AuditLogException(
                    "audit log " + file + " failed earlier (" + failure.getMessage()
                            + "); no operation is carried out until custodyd is restarted with a writable log",
                    failure);
        }
    }

    /** Appends {@code record}; returns after the line is durable. */
    public AuditEntry append(AuditRecord record) throws IOException {
        Objects.requireNonNull(record, "record");
        AuditEntry entry;
        synchronized (this) {
            checkUsable();
            Instant now = clock.instant();
            long seq = head.seq() + 1;
            byte[] line = codec.encode(seq, now, head.hash(), record);
            String hash = HexFormat.of().formatHex(digest.digest(line));
            ByteBuffer buf = ByteBuffer.allocate(line.length + 1)
                    .put(line)
                    .put((byte) '\n')
                    .flip();
            try {
                long size = channel.size();
                if (end >= 0 && size != end) {
                    throw new IOException(truncatedUnder(size)); // cut or grown by someone else: never write a hole
                }
                long pos = end >= 0 ? end : size;
                while (buf.hasRemaining()) {
                    pos += channel.write(buf, pos);
                }
                end = pos;
            } catch (IOException e) {
                failure = e;
                throw new AuditLogException("cannot write audit log " + file + ": " + e.getMessage(), e);
            }
            entry = new AuditEntry(seq, now, head.hash(), hash, record);
            head = new AuditHead(seq, hash);
            appended++;
            writtenSeq = seq;
        }
        syncUpTo(entry.seq());
        maybeCheckpoint(entry.seq());
        return entry;
    }

    /**
     * Group commit. At most one caller syncs at a time (the leader); its sync covers every line
     * written before it began. The others wait on {@code syncLock} without holding it, so when a sync
     * ends every caller it covered returns at once, and a caller it did not cover leads the next one.
     * {@code force(false)} is fdatasync: the data and the file length, not the timestamps.
     *
     * <p>Commit delay (as PostgreSQL's {@code commit_delay}, but adaptive): when the last sync covered
     * several lines — callers are concurrent — the leader first waits until as many lines are pending,
     * for at most half the last sync's duration and never more than {@link #MAX_COMMIT_DELAY_NANOS}.
     * Without it, the first caller back after a sync starts the next one alone and the rest wait a
     * whole sync for the one after. A lone caller (last sync covered one line) never waits.
     */
    private void syncUpTo(long seq) throws IOException {
        if (syncedSeq >= seq) {
            return;
        }
        boolean interrupted = false;
        long want;
        long maxDelay;
        try {
            synchronized (syncLock) {
                while (true) {
                    if (syncedSeq >= seq) {
                        return;
                    }
                    if (syncFailure != null) {
                        throw new AuditLogException(
                                "cannot sync audit log " + file + ": " + syncFailure.getMessage(), syncFailure);
                    }
                    if (!syncing) {
                        syncing = true;
                        want = lastBatch;
                        maxDelay = Math.min(lastSyncNanos / 2, MAX_COMMIT_DELAY_NANOS);
                        break;
                    }
                    try {
                        syncLock.wait();
                    } catch (InterruptedException e) {
                        interrupted = true; // the line is written: this call still returns only once it is durable
                    }
                }
            }
            lead(want, maxDelay);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The leader's part of {@link #syncUpTo}: gather, sync, publish, wake the waiters. */
    private void lead(long want, long maxDelay) throws IOException {
        long target = 0;
        long from = syncedSeq;
        IOException error = null;
        boolean synced = false;
        long started = 0;
        try {
            if (want > 1 && maxDelay >= MIN_COMMIT_DELAY_NANOS) {
                // Object.wait rounds to milliseconds; park in short slices and look at the written count
                long deadline = System.nanoTime() + maxDelay;
                long left;
                while (writtenSeq - from < want
                        && (left = deadline - System.nanoTime()) > 0
                        && !Thread.currentThread().isInterrupted()) {
                    LockSupport.parkNanos(Math.min(left, 50_000));
                }
            }
            synchronized (this) {
                target = head.seq();
            }
            started = System.nanoTime();
            channel.force(false); // fdatasync
            synced = true;
        } catch (IOException e) {
            error = e;
            synchronized (this) {
                failure = e;
            }
        } finally {
            synchronized (syncLock) {
                if (synced) {
                    lastSyncNanos = System.nanoTime() - started;
                    lastBatch = Math.max(1, target - from);
                    syncs++;
                    syncedSeq = target;
                } else {
                    syncFailure = error != null ? error : new IOException("the sync was not carried out");
                }
                syncing = false;
                syncLock.notifyAll();
            }
        }
        if (error != null) {
            throw new AuditLogException("cannot sync audit log " + file + ": " + error.getMessage(), error);
        }
    }

    /**
     * Checks the whole file's chain, and that it still ends with the head this instance wrote (so
     * lines cut off the end, or an edited last line, are found too).
     */
    public AuditVerification verify() throws IOException {
        AuditVerification v = verify(file, head());
        Checkpointing c = checkpointing;
        if (!v.intact() || c == null) {
            return v;
        }
        AuditVerification cv = AuditCheckpoints.verify(file, c.key(), c.every());
        return cv.intact()
                ? v
                : new AuditVerification(cv.linesChecked(), v.head(), cv.brokenLine(), cv.problem(), cv.reason());
    }

    // ---- signed checkpoints (AuditCheckpoints) ----

    private record Checkpointing(AuditCheckpoints.Key key, int every) {}

    private volatile Checkpointing checkpointing;
    /** Sequence number the last checkpoint covered; read and written under checkpointLock. */
    private long lastCheckpointSeq;

    private final java.util.concurrent.locks.ReentrantLock checkpointLock =
            new java.util.concurrent.locks.ReentrantLock();

    /**
     * Anchors this log to {@code key}: checks the chain and its checkpoints (refusing a log that fails),
     * then signs a checkpoint now and every {@code every} records from here on, and at {@link #checkpoint}
     * calls (shutdown). A checkpoint that cannot be signed (token absent or locked) is logged as a warning
     * and tried again {@code every} records later.
     *
     * @throws AuditLogException the log's chain or checkpoints are broken
     */
    public void anchor(AuditCheckpoints.Key key, int every) throws IOException {
        if (every < 1) {
            throw new IllegalArgumentException("every must be at least 1");
        }
        AuditVerification v = verify(file, head());
        if (v.intact()) {
            v = AuditCheckpoints.verify(file, key, every);
        }
        if (!v.intact()) {
            throw new AuditLogException(
                    "audit log " + file + " is broken at line " + v.brokenLine() + " (" + v.problem() + "): "
                            + v.reason() + "; keep it as evidence, move it aside, and start custodyd again");
        }
        checkpointing = new Checkpointing(key, every);
        tryCheckpoint("start");
    }

    /**
     * Signs a checkpoint of the current head now (at shutdown: before the token is closed).
     *
     * @return the checkpoint's line, or empty when the log is not anchored or the signature failed
     */
    public java.util.Optional<AuditEntry> checkpoint(String reason) {
        return Optional.ofNullable(checkpointing == null ? null : tryCheckpoint(reason));
    }

    private AuditEntry tryCheckpoint(String reason) {
        Checkpointing c = checkpointing;
        checkpointLock.lock();
        try {
            AuditHead h = head();
            Instant t = clock.instant();
            try {
                byte[] sig = c.key().sign(AuditCheckpoints.message(h.seq(), h.hash(), t));
                AuditEntry e = append(AuditCheckpoints.record(
                        h.seq(), h.hash(), t, c.key().keyId(), sig, reason, selfId("unix:uid"), selfId("unix:gid")));
                return e;
            } catch (IOException | RuntimeException e) {
                LOG.log(
                        System.Logger.Level.WARNING,
                        "audit log " + file + ": cannot sign a checkpoint of line " + h.seq()
                                + " with audit key " + c.key().keyId() + " (" + e.getMessage() + "); trying again in "
                                + c.every()
                                + " records");
                return null;
            } finally {
                lastCheckpointSeq = h.seq();
            }
        } finally {
            checkpointLock.unlock();
        }
    }

    /** After an append: a checkpoint when {@code every} records passed since the last (one thread makes it). */
    private void maybeCheckpoint(long seq) {
        Checkpointing c = checkpointing;
        if (c == null || checkpointLock.isHeldByCurrentThread() || !checkpointLock.tryLock()) {
            return;
        }
        try {
            if (seq - lastCheckpointSeq >= c.every()) {
                tryCheckpoint("every " + c.every() + " records");
            }
        } finally {
            checkpointLock.unlock();
        }
    }

    /** Why the file's size is not where this instance's last line ended. Called under this. */
    private String truncatedUnder(long size) {
        String what;
        if (size < end) {
            long complete = AuditFiles.completeLinesIn(channel, size);
            what = "it was cut to " + size + " bytes: the log now ends after line " + complete + ", lines "
                    + (complete + 1) + ".." + head.seq() + " are gone";
        } else {
            what = "it grew to " + size + " bytes after line " + head.seq() + " (which ended at byte " + end
                    + "): something else wrote to it";
        }
        return "audit log " + file + " was changed under custodyd: " + what + "; nothing more is written to it (no"
                + " hole at the old end); keep it as evidence and restart custodyd";
    }

    /**
     * Checks {@code file}'s chain offline. Uses {@code FILE.head} from the last clean close, if
     * present, as the expected head.
     */
    public static AuditVerification verify(Path file) throws IOException {
        return verify(file, AuditFiles.readRecordedHead(AuditFiles.headFileOf(file.toAbsolutePath())));
    }

    /**
     * Checks {@code file}'s chain; if {@code expected} is not null, the file must contain that head
     * (same hash at the same sequence number).
     */
    public static AuditVerification verify(Path file, AuditHead expected) throws IOException {
        return AuditVerifier.verify(file, expected);
    }

    /** The last {@code max} entries, oldest first. Reads the whole file. */
    public List<AuditEntry> tail(int max) throws IOException {
        Deque<AuditEntry> out = new ArrayDeque<>();
        try (InputStream in = Files.newInputStream(file)) {
            BoundedLineReader r = new BoundedLineReader(in, MAX_LINE_BYTES);
            byte[] line;
            long lineNo = 0;
            while (true) {
                try {
                    line = r.readLine();
                } catch (EOFException e) {
                    break; // a write in progress
                }
                if (line == null) {
                    break;
                }
                lineNo++;
                try {
                    out.addLast(codec.decode(line));
                } catch (IOException e) {
                    throw new AuditLogException("line " + lineNo + " of audit log " + file + " is not an audit record"
                            + (AuditCodec.zeroFilled(line) ? " (it was overwritten with zero bytes)" : "")
                            + "; run `custody audit verify`");
                }
                if (out.size() > max) {
                    out.removeFirst();
                }
            }
        }
        return List.copyOf(out);
    }

    /** Records the head in {@code FILE.head} and releases the file. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        SyncStats st = syncStats();
        LOG.log(
                System.Logger.Level.INFO,
                "audit log " + file + ": " + st.lines() + " line(s) appended with " + st.syncs()
                        + " sync(s) since start"
                        + (st.syncs() > 0
                                ? String.format(
                                        " (group commit: %.1f lines per sync)", st.lines() / (double) st.syncs())
                                : ""));
        try {
            if (failure == null) {
                channel.force(false);
                ObjectNode h = mapper.createObjectNode().put("seq", head.seq()).put("hash", head.hash());
                AtomicFiles.write(headFile, mapper.writeValueAsBytes(h));
            }
        } finally {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }

    static String sha256Hex(byte[] b) {
        return AuditCodec.sha256Hex(b);
    }

    // ---- opening: tail recovery ----

    private void checkAgainstRecordedHead() throws IOException {
        AuditHead recorded = AuditFiles.readRecordedHead(headFile);
        if (recorded != null && recorded.seq() > head.seq()) {
            throw new AuditLogException(
                    "audit log " + file + " ends at line " + head.seq() + " but custodyd had written "
                            + recorded.seq() + " lines when it last stopped (" + headFile
                            + "): lines were removed from the end;"
                            + " keep the damaged log as evidence, move it aside, and start custodyd again");
        }
    }

    /** A crash in the middle of a write left a partial line: cut it off and record that we did. */
    private void repairPartialTail(AuditFiles.Tail tail) throws IOException {
        channel.truncate(tail.completeLength());
        channel.force(true);
        synchronized (this) {
            end = -1;
        }
        ObjectNode d = mapper.createObjectNode()
                .put("droppedBytes", tail.partialLength())
                .put("droppedSha256", AuditCodec.sha256Hex(tail.partial()));
        if (tail.partial().length <= MAX_KEPT_DROPPED_BYTES) {
            d.put("dropped", Base64.getEncoder().encodeToString(tail.partial()));
        }
        append(AuditRecord.builder("audit.repair")
                .caller(
                        selfId("unix:uid"),
                        selfId("unix:gid"),
                        ProcessHandle.current().pid())
                .result("truncated_partial_line")
                .message("a write was interrupted by a crash; its incomplete line was removed and is kept here")
                .details(d)
                .build());
    }

    private static long selfId(String attribute) {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), attribute)).longValue();
        } catch (IOException | UnsupportedOperationException e) {
            return -1;
        }
    }
}
