package dev.custody.daemon.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.state.AtomicFiles;
import dev.custody.daemon.state.OwnedFiles;
import dev.custody.protocol.BoundedLineReader;
import dev.custody.protocol.LineTooLongException;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Pattern;

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
    private static final Pattern HEX64 = Pattern.compile("^[0-9a-f]{64}$");
    private static final int MAX_KEPT_DROPPED_BYTES = 64 * 1024;
    /** Longest a sync waits for concurrent callers' lines (commit delay); see {@link #syncUpTo}. */
    static final long MAX_COMMIT_DELAY_NANOS = 1_000_000;
    /** Below this (a fast or memory-backed file system) the commit delay is not worth a park. */
    static final long MIN_COMMIT_DELAY_NANOS = 20_000;

    private final Path file;
    private final Path headFile;
    private final Clock clock;
    private final ObjectMapper mapper = JsonMapper.builder().build();
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
    private final MessageDigest digest = newSha256();
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
        this.headFile = headFileOf(file);
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
        OwnedFiles.requireOwnIfPresent(headFileOf(abs));
        boolean created = !Files.exists(abs, LinkOption.NOFOLLOW_LINKS);
        FileChannel ch = FileChannel.open(
                abs,
                Set.of(
                        StandardOpenOption.CREATE,
                        StandardOpenOption.READ,
                        StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS),
                PosixFilePermissions.asFileAttribute(AtomicFiles.PRIVATE_FILE));
        try {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                throw new AuditLogException("audit log " + abs + " is already open in another custodyd");
            }
            if (created) {
                AtomicFiles.fsyncDirectory(abs.getParent());
            }
            Tail tail = readTail(ch, abs);
            AuditLog log = new AuditLog(abs, Objects.requireNonNull(clock, "clock"), ch, lock, tail.head);
            log.checkAgainstRecordedHead();
            if (tail.partialLength > 0) {
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
            byte[] line = encode(seq, now, head.hash(), record);
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
            long complete = completeLinesIn(size);
            what = "it was cut to " + size + " bytes: the log now ends after line " + complete + ", lines "
                    + (complete + 1) + ".." + head.seq() + " are gone";
        } else {
            what = "it grew to " + size + " bytes after line " + head.seq() + " (which ended at byte " + end
                    + "): something else wrote to it";
        }
        return "audit log " + file + " was changed under custodyd: " + what + "; nothing more is written to it (no"
                + " hole at the old end); keep it as evidence and restart custodyd";
    }

    /** Newlines in the first {@code size} bytes: complete lines left after a truncation (a failure path). */
    private long completeLinesIn(long size) {
        long lines = 0;
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        try {
            for (long pos = 0; pos < size; ) {
                buf.clear();
                int r = channel.read(buf, pos);
                if (r <= 0) {
                    break;
                }
                for (int i = 0; i < r && pos + i < size; i++) {
                    if (buf.get(i) == '\n') {
                        lines++;
                    }
                }
                pos += r;
            }
        } catch (IOException e) {
            return -1;
        }
        return lines;
    }

    private static boolean zeroFilled(byte[] line) {
        for (byte b : line) {
            if (b == 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Checks {@code file}'s chain offline. Uses {@code FILE.head} from the last clean close, if
     * present, as the expected head.
     */
    public static AuditVerification verify(Path file) throws IOException {
        return verify(file, readRecordedHead(headFileOf(file.toAbsolutePath())));
    }

    /**
     * Checks {@code file}'s chain; if {@code expected} is not null, the file must contain that head
     * (same hash at the same sequence number).
     */
    public static AuditVerification verify(Path file, AuditHead expected) throws IOException {
        ObjectMapper m = JsonMapper.builder().build();
        try (InputStream in = Files.newInputStream(file)) {
            BoundedLineReader r = new BoundedLineReader(in, MAX_LINE_BYTES);
            long n = 0;
            String prevHash = GENESIS;
            String hashAtExpected = expected != null && expected.seq() == 0 ? GENESIS : null;
            long anomalyLine = -1;
            long anomalySeq = -1;
            boolean anomalyReappears = false;
            while (true) {
                byte[] line;
                try {
                    line = r.readLine();
                } catch (EOFException e) {
                    return AuditVerification.broken(
                            n,
                            new AuditHead(n, prevHash),
                            n + 1,
                            AuditVerification.Problem.TRUNCATED,
                            "line " + (n + 1)
                                    + " is incomplete (no newline): the log was cut off or a write was interrupted;"
                                    + " custodyd repairs this at its next start");
                } catch (LineTooLongException e) {
                    return AuditVerification.broken(
                            n,
                            new AuditHead(n, prevHash),
                            n + 1,
                            AuditVerification.Problem.MALFORMED,
                            "line " + (n + 1) + " is longer than " + MAX_LINE_BYTES
                                    + " bytes: not written by custodyd");
                }
                if (line == null) {
                    break;
                }
                long i = n + 1;
                if (zeroFilled(line)) {
                    if (anomalyLine > 0) {
                        break; // report the earlier sequence anomaly
                    }
                    return AuditVerification.broken(
                            n,
                            new AuditHead(n, prevHash),
                            i,
                            AuditVerification.Problem.ZEROED,
                            "line " + i + " was overwritten with zero bytes (" + line.length + " bytes)");
                }
                JsonNode node;
                try {
                    node = m.readTree(new String(line, java.nio.charset.StandardCharsets.UTF_8)); // UTF-8 only
                } catch (IOException e) {
                    node = null;
                }
                if (node == null
                        || !node.isObject()
                        || !node.path("seq").canConvertToExactIntegral()
                        || !HEX64.matcher(node.path("prev").asText("")).matches()
                        || !node.path("time").isTextual()) {
                    if (anomalyLine > 0) {
                        break; // report the earlier sequence anomaly
                    }
                    return AuditVerification.broken(
                            n,
                            new AuditHead(n, prevHash),
                            i,
                            AuditVerification.Problem.MALFORMED,
                            "line " + i
                                    + " is not an audit record (not JSON, or seq/prev/time missing): it was edited");
                }
                long seq = node.get("seq").asLong();
                if (anomalyLine > 0) {
                    if (seq == anomalyLine) {
                        anomalyReappears = true;
                    }
                    n = i;
                    continue;
                }
                if (seq != i) {
                    if (seq < i) {
                        return AuditVerification.broken(
                                n,
                                new AuditHead(n, prevHash),
                                i,
                                AuditVerification.Problem.REORDERED,
                                "line " + i + " carries sequence number " + seq
                                        + ": lines were reordered or duplicated");
                    }
                    anomalyLine = i;
                    anomalySeq = seq;
                    n = i;
                    continue; // scan on: does the missing number come later (reordered) or never (removed)?
                }
                String prev = node.get("prev").asText();
                if (!prev.equals(prevHash)) {
                    if (i == 1) {
                        return AuditVerification.broken(
                                n,
                                new AuditHead(n, prevHash),
                                1,
                                AuditVerification.Problem.EDITED,
                                "line 1 does not chain to the genesis value: it was edited");
                    }
                    return AuditVerification.broken(
                            n,
                            new AuditHead(n, prevHash),
                            i - 1,
                            AuditVerification.Problem.EDITED,
                            "line " + (i - 1)
                                    + " was changed after it was written: its hash no longer matches the prev hash"
                                    + " recorded in line " + i);
                }
                prevHash = sha256Hex(line);
                n = i;
                if (expected != null && seq == expected.seq()) {
                    hashAtExpected = prevHash;
                }
            }
            if (anomalyLine > 0) {
                long head = anomalyLine - 1;
                return anomalyReappears
                        ? AuditVerification.broken(
                                head,
                                new AuditHead(head, prevHash),
                                anomalyLine,
                                AuditVerification.Problem.REORDERED,
                                "line " + anomalyLine + " carries sequence number " + anomalySeq
                                        + " and sequence number " + anomalyLine + " comes later: lines were reordered")
                        : AuditVerification.broken(
                                head,
                                new AuditHead(head, prevHash),
                                anomalyLine,
                                AuditVerification.Problem.REMOVED,
                                "line " + anomalyLine + " carries sequence number " + anomalySeq + ": "
                                        + (anomalySeq - anomalyLine) + " line(s) before it were removed");
            }
            AuditHead found = new AuditHead(n, prevHash);
            if (expected != null) {
                if (n < expected.seq()) {
                    return AuditVerification.broken(
                            n,
                            found,
                            n + 1,
                            AuditVerification.Problem.TRUNCATED,
                            "the log ends at line " + n + " but line " + expected.seq() + " was written: lines "
                                    + (n + 1) + ".." + expected.seq() + " were removed from the end");
                }
                if (!expected.hash().equals(hashAtExpected)) {
                    return AuditVerification.broken(
                            n,
                            found,
                            expected.seq(),
                            AuditVerification.Problem.EDITED,
                            "line " + expected.seq()
                                    + " was changed after it was written: its hash differs from the recorded head");
                }
            }
            return AuditVerification.ok(n, found);
        }
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
                    out.addLast(decode(line));
                } catch (IOException e) {
                    throw new AuditLogException("line " + lineNo + " of audit log " + file + " is not an audit record"
                            + (zeroFilled(line) ? " (it was overwritten with zero bytes)" : "")
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

    // ---- encoding ----

    private byte[] encode(long seq, Instant time, String prev, AuditRecord r) throws IOException {
        ObjectNode n = mapper.createObjectNode();
        n.put("seq", seq).put("time", time.toString()).put("prev", prev);
        putIf(n, "uid", r.uid());
        putIf(n, "gid", r.gid());
        putIf(n, "pid", r.pid());
        n.put("method", r.method());
        putIf(n, "gun", r.gun());
        putIf(n, "role", r.role());
        putIf(n, "keyId", r.keyId());
        putIf(n, "version", r.version());
        putIf(n, "metadataHash", r.metadataHash());
        n.put("result", r.result());
        putIf(n, "rule", r.rule());
        putIf(n, "message", r.message());
        if (r.details() != null && !r.details().isNull()) {
            n.set("details", r.details());
        }
        byte[] b = mapper.writeValueAsBytes(n);
        if (b.length > MAX_LINE_BYTES) {
            byte[] details = mapper.writeValueAsBytes(r.details());
            n.set(
                    "details",
                    mapper.createObjectNode()
                            .put("omitted", "too large")
                            .put("bytes", details.length)
                            .put("sha256", sha256Hex(details)));
            if (r.message() != null && r.message().length() > 4096) {
                n.put("message", r.message().substring(0, 4096) + "…");
            }
            b = mapper.writeValueAsBytes(n);
        }
        return b;
    }

    private AuditEntry decode(byte[] line) throws IOException {
        JsonNode n = mapper.readTree(new String(line, java.nio.charset.StandardCharsets.UTF_8));
        if (n == null || !n.isObject()) {
            throw new IOException("not a JSON object");
        }
        AuditRecord r = new AuditRecord(
                n.path("method").asText(),
                longOrNull(n, "uid"),
                longOrNull(n, "gid"),
                longOrNull(n, "pid"),
                textOrNull(n, "gun"),
                textOrNull(n, "role"),
                textOrNull(n, "keyId"),
                longOrNull(n, "version"),
                textOrNull(n, "metadataHash"),
                n.path("result").asText(),
                textOrNull(n, "rule"),
                textOrNull(n, "message"),
                n.get("details"));
        Instant t;
        try {
            t = Instant.parse(n.path("time").asText());
        } catch (DateTimeParseException e) {
            t = Instant.EPOCH;
        }
        return new AuditEntry(n.path("seq").asLong(), t, n.path("prev").asText(), sha256Hex(line), r);
    }

    private static void putIf(ObjectNode n, String f, String v) {
        if (v != null) {
            n.put(f, v);
        }
    }

    private static void putIf(ObjectNode n, String f, Long v) {
        if (v != null) {
            n.put(f, v);
        }
    }

    private static Long longOrNull(JsonNode n, String f) {
        return n.hasNonNull(f) ? n.get(f).asLong() : null;
    }

    private static String textOrNull(JsonNode n, String f) {
        return n.hasNonNull(f) ? n.get(f).asText() : null;
    }

    static String sha256Hex(byte[] b) {
        return HexFormat.of().formatHex(newSha256().digest(b));
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }

    // ---- opening: tail recovery ----

    private record Tail(AuditHead head, long completeLength, long partialLength, byte[] partial) {}

    private static Tail readTail(FileChannel ch, Path file) throws IOException {
        long size = ch.size();
        if (size == 0) {
            return new Tail(AuditHead.EMPTY, 0, 0, new byte[0]);
        }
        int window = (int) Math.min(size, 2L * MAX_LINE_BYTES + 2);
        long start = size - window;
        ByteBuffer buf = ByteBuffer.allocate(window);
        while (buf.hasRemaining()) {
            if (ch.read(buf, start + buf.position()) < 0) {
                throw new EOFException("audit log " + file + " shrank while being opened");
            }
        }
        byte[] b = buf.array();
        int lastNl = lastIndexOf(b, b.length - 1);
        long completeLength = lastNl < 0 ? start : start + lastNl + 1;
        if (lastNl < 0 && start > 0) {
            throw new AuditLogException("audit log " + file + " ends with more than " + MAX_LINE_BYTES
                    + " bytes without a newline: it was not written by custodyd; check it with `custody audit verify`");
        }
        byte[] partial = java.util.Arrays.copyOfRange(b, lastNl + 1, b.length);
        if (completeLength == 0) {
            return new Tail(AuditHead.EMPTY, 0, partial.length, partial);
        }
        int prevNl = lastIndexOf(b, lastNl - 1);
        if (prevNl < 0 && start > 0) {
            throw new AuditLogException(
                    "audit log " + file + " has a last line longer than " + MAX_LINE_BYTES + " bytes");
        }
        byte[] last = java.util.Arrays.copyOfRange(b, prevNl + 1, lastNl);
        JsonNode n;
        try {
            n = JsonMapper.builder().build().readTree(new String(last, java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            n = null; // not JSON, or zero bytes (which Jackson would take for UTF-32)
        }
        if (n == null
                || !n.path("seq").canConvertToExactIntegral()
                || n.get("seq").asLong() < 1) {
            throw new AuditLogException(
                    "the last complete line of audit log " + file
                            + " is not an audit record: the log was edited; run `custody audit verify` and move the damaged log aside");
        }
        return new Tail(new AuditHead(n.get("seq").asLong(), sha256Hex(last)), completeLength, partial.length, partial);
    }

    private static int lastIndexOf(byte[] b, int from) {
        for (int i = from; i >= 0; i--) {
            if (b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private void checkAgainstRecordedHead() throws IOException {
        AuditHead recorded = readRecordedHead(headFile);
        if (recorded != null && recorded.seq() > head.seq()) {
            throw new AuditLogException(
                    "audit log " + file + " ends at line " + head.seq() + " but custodyd had written "
                            + recorded.seq() + " lines when it last stopped (" + headFile
                            + "): lines were removed from the end;"
                            + " keep the damaged log as evidence, move it aside, and start custodyd again");
        }
    }

    /** A crash in the middle of a write left a partial line: cut it off and record that we did. */
    private void repairPartialTail(Tail tail) throws IOException {
        channel.truncate(tail.completeLength());
        channel.force(true);
        synchronized (this) {
            end = -1;
        }
        ObjectNode d = mapper.createObjectNode()
                .put("droppedBytes", tail.partialLength())
                .put("droppedSha256", sha256Hex(tail.partial()));
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

    private static Path headFileOf(Path file) {
        return file.resolveSibling(file.getFileName() + ".head");
    }

    private static AuditHead readRecordedHead(Path headFile) throws IOException {
        if (!Files.exists(headFile)) {
            return null;
        }
        JsonNode n;
        try {
            n = JsonMapper.builder().build().readTree(Files.readAllBytes(headFile));
        } catch (JsonProcessingException e) {
            throw new AuditLogException("recorded audit head " + headFile + " is not valid JSON: it was edited", e);
        }
        if (n == null
                || !n.path("seq").canConvertToExactIntegral()
                || !HEX64.matcher(n.path("hash").asText("")).matches()) {
            throw new AuditLogException("recorded audit head " + headFile + " is malformed: it was edited");
        }
        return new AuditHead(n.get("seq").asLong(), n.get("hash").asText());
    }
}
