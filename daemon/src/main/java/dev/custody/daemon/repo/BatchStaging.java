package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.custody.daemon.rpc.CallerIdentity;
import dev.custody.daemon.state.AtomicFiles;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.BusyException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.results.BatchReceived;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One staging transaction per batch, however many requests carry it ({@code repo.addBatch} with
 * {@code more: true}, then a last part without): the parts go to a side file, {@code STATE/batches/<id>.jsonl},
 * and nothing is staged until the last part arrives; then {@link #finish} hands every change of the batch to
 * one atomic changelist write. A batch whose client went away is never staged: it is dropped when idle for
 * {@link #IDLE}, and every start of the daemon removes {@code STATE/batches/} (a crash between parts stages
 * nothing).
 *
 * <p>A batch belongs to the uid that began it, for one GUN and role; its id is random (128 bits) and made
 * here. Thread-safe.
 */
final class BatchStaging {
    /** Idle batches are dropped after this. */
    static final Duration IDLE = Duration.ofMinutes(10);
    /** Open batches at once, all callers. */
    static final int MAX_OPEN = 64;
    /** Targets in one batch. */
    static final long MAX_CHANGES = 1_000_000;

    private static final ObjectMapper MAPPER = JsonMapper.builder().build();
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final class Open {
        final long uid;
        final String gun;
        final String role;
        final Path file;
        long changes;
        int parts;
        Instant touched;

        Open(long uid, String gun, String role, Path file, Instant now) {
            this.uid = uid;
            this.gun = gun;
            this.role = role;
            this.file = file;
            this.touched = now;
        }
    }

    private final Path dir;
    private final Clock clock;
    private final CrashPoints crash;
    private final Map<String, Open> open = new LinkedHashMap<>();

    /** Removes what earlier runs left in {@code stateRoot/batches}: batches not finished then are discarded. */
    BatchStaging(Path stateRoot, Clock clock, CrashPoints crash) throws IOException {
        this.dir = stateRoot.resolve("batches");
        this.clock = clock;
        this.crash = crash;
        RepoState.deleteTree(dir);
    }

    /**
     * Keeps one part that more parts follow; stages nothing. {@code batchId} null begins a batch.
     *
     * @return {@code gun}, {@code batchId} (send it with every later part), {@code received} (changes so far)
     */
    synchronized BatchReceived receive(
            CallerIdentity caller, String gun, String role, String batchId, List<Change> changes)
            throws CustodyException {
        try {
            return receiveLocked(caller, gun, role, batchId, changes);
        } catch (IOException e) {
            throw RepoErrors.internal("cannot keep a batch part in " + dir + ": " + e.getMessage(), e);
        }
    }

    private BatchReceived receiveLocked(
            CallerIdentity caller, String gun, String role, String batchId, List<Change> changes)
            throws CustodyException, IOException {
        expire();
        String id = batchId == null ? newId() : batchId;
        Open o = batchId == null ? begin(caller, gun, role, id) : find(caller, gun, role, batchId);
        append(id, o, changes);
        crash.reached("batch", "received-" + o.parts);
        return new BatchReceived(gun, id, o.changes);
    }

    /**
     * The last part: every change of the batch, in the order sent, with {@code last} at the end; the batch is
     * closed (its side file removed) whatever the caller does with them next.
     */
    synchronized List<Change> finish(CallerIdentity caller, String gun, String role, String batchId, List<Change> last)
            throws CustodyException {
        try {
            return finishLocked(caller, gun, role, batchId, last);
        } catch (IOException e) {
            throw RepoErrors.internal("cannot read batch " + batchId + " back from " + dir + ": " + e.getMessage(), e);
        }
    }

    private List<Change> finishLocked(CallerIdentity caller, String gun, String role, String batchId, List<Change> last)
            throws CustodyException, IOException {
        expire();
        Open o = find(caller, gun, role, batchId);
        checkRoom(o, last.size());
        List<Change> all = new ArrayList<>((int) Math.min(Integer.MAX_VALUE - 8, o.changes + last.size()));
        try (BufferedReader r = Files.newBufferedReader(o.file, StandardCharsets.UTF_8)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                for (JsonNode n : MAPPER.readTree(line)) {
                    all.add(Change.fromJson(n));
                }
            }
        } finally {
            close(batchId, o);
        }
        all.addAll(last);
        crash.reached("batch", "committing");
        return all;
    }

    /** Batches open now (for tests and status). */
    synchronized int openBatches() {
        return open.size();
    }

    private static String newId() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private Open begin(CallerIdentity caller, String gun, String role, String id) throws CustodyException, IOException {
        if (open.size() >= MAX_OPEN) {
            throw new BusyException(
                    "too many batches are being staged (" + MAX_OPEN + "); retry when one is finished", "batches");
        }
        AtomicFiles.createDirectories(dir);
        Open o = new Open(caller.uid(), gun, role, dir.resolve(id + ".jsonl"), clock.instant());
        open.put(id, o);
        return o;
    }

    private Open find(CallerIdentity caller, String gun, String role, String batchId) throws BadRequestException {
        Open o = batchId.matches("[0-9a-f]{32}") ? open.get(batchId) : null;
        if (o == null || o.uid != caller.uid()) {
            throw new BadRequestException(
                    "batch " + batchId + " is not open (finished, dropped after " + IDLE.toMinutes()
                            + " idle minutes or by a restart, or begun by another user): send the whole batch again",
                    "params.batchId");
        }
        if (!o.gun.equals(gun) || !Objects.equals(o.role, role)) {
            throw new BadRequestException(
                    "batch " + batchId + " stages into " + o.gun + (o.role == null ? "" : " role " + o.role) + ", not "
                            + gun + (role == null ? "" : " role " + role),
                    "params.batchId");
        }
        return o;
    }

    private void append(String id, Open o, List<Change> changes) throws CustodyException, IOException {
        checkRoom(o, changes.size());
        ArrayNode arr = MAPPER.createArrayNode();
        changes.forEach(c -> arr.add(c.toJson()));
        byte[] line = (MAPPER.writeValueAsString(arr) + "\n").getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(
                o.file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE)) {
            out.write(line);
        } catch (IOException e) {
            close(id, o);
            throw e;
        }
        o.changes += changes.size();
        o.parts++;
        o.touched = clock.instant();
    }

    private void checkRoom(Open o, int more) throws BadRequestException {
        if (o.changes + more > MAX_CHANGES) {
            throw new BadRequestException("a batch holds at most " + MAX_CHANGES + " targets", "params.targets");
        }
    }

    private void close(String id, Open o) throws IOException {
        open.remove(id);
        Files.deleteIfExists(o.file);
    }

    private void expire() throws IOException {
        Instant cutoff = clock.instant().minus(IDLE);
        for (Iterator<Map.Entry<String, Open>> it = open.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Open> e = it.next();
            if (e.getValue().touched.isBefore(cutoff)) {
                it.remove();
                Files.deleteIfExists(e.getValue().file);
            }
        }
    }
}
