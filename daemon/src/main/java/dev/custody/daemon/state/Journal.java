package dev.custody.daemon.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Write-ahead journal of multi-step operations (publish, key rotations): after {@code kill -9} at
 * any point, the daemon knows which steps happened and can resume or roll back.
 *
 * <p>Call sequence: {@link #begin} → {@link #step} for each step, right after the step's effect is
 * durable (or right before an effect that must not be repeated, as the operation decides) →
 * {@link #complete} or {@link #abort}. At start-up, {@link #open} reloads unfinished operations
 * and {@link #pending()} lists them.
 *
 * <p>Layout: one directory per operation, {@code DIR/ID/}, holding {@code op.json} (type, GUN,
 * plan), {@code step-000001.json}, … and, once ended, {@code end.json}; an ended operation's
 * directory then moves to {@code DIR/done/ID}. Every file is written with {@link AtomicFiles}, so
 * each record is whole or absent. IDs sort by start time.
 *
 * <p>Thread-safe; steps of one operation are numbered in call order.
 */
public final class Journal {
    /** How many ended operations are kept in {@code done/} for {@code status}. */
    public static final int DEFAULT_KEEP_FINISHED = 200;

    private static final String OP_FILE = "op.json";
    private static final String END_FILE = "end.json";
    private static final String DONE_DIR = "done";
    private static final Pattern STEP_FILE = Pattern.compile("^step-(\\d{6})\\.json$");
    private static final Pattern ID = Pattern.compile("^\\d{8}T\\d{6}\\d{3}Z-[0-9a-f]{8}$");
    private static final DateTimeFormatter ID_TIME =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path dir;
    private final Path doneDir;
    private final Clock clock;
    private final int keepFinished;
    private final ObjectMapper mapper = JsonMapper.builder().build();
    private final Map<String, OpState> open = new LinkedHashMap<>();
    /** Time part of the newest id; ids take strictly increasing times so they sort in start order. */
    private long lastIdMillis;

    private static final class OpState {
        final String id;
        final String type;
        final String gun;
        final JsonNode plan;
        final Instant startedAt;
        final List<JournalStep> steps = new ArrayList<>();

        OpState(String id, String type, String gun, JsonNode plan, Instant startedAt) {
            this.id = id;
            this.type = type;
            this.gun = gun;
            this.plan = plan;
            this.startedAt = startedAt;
        }

        PendingOperation snapshot() {
            return new PendingOperation(id, type, gun, plan.deepCopy(), startedAt, steps);
        }
    }

    private Journal(Path dir, Clock clock, int keepFinished) {
        this.dir = dir;
        this.doneDir = dir.resolve(DONE_DIR);
        this.clock = clock;
        this.keepFinished = keepFinished;
    }

    /** Opens (creating if needed) the journal in {@code dir} and reloads unfinished operations. */
    public static Journal open(Path dir, Clock clock) throws IOException {
        return open(dir, clock, DEFAULT_KEEP_FINISHED);
    }

    public static Journal open(Path dir, Clock clock, int keepFinished) throws IOException {
        Journal j = new Journal(dir.toAbsolutePath(), Objects.requireNonNull(clock, "clock"), keepFinished);
        AtomicFiles.createDirectories(j.dir);
        AtomicFiles.createDirectories(j.doneDir);
        j.recover();
        return j;
    }

    /**
     * Starts an operation and durably records its plan. Returns its id.
     *
     * @param opType e.g. {@code publish}, {@code rotate-snapshot}
     * @param plan everything needed to finish or undo the operation after a crash; no secrets
     */
    public synchronized String begin(String opType, String gun, JsonNode plan) throws IOException {
        Objects.requireNonNull(opType, "opType");
        Objects.requireNonNull(gun, "gun");
        Instant now = clock.instant();
        String id = newId(now);
        Path opDir = dir.resolve(id);
        Files.createDirectory(
                opDir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(AtomicFiles.PRIVATE_DIR));
        AtomicFiles.fsyncDirectory(dir);
        ObjectNode op = mapper.createObjectNode();
        op.put("id", id).put("type", opType).put("gun", gun).put("startedAt", now.toString());
        op.set("plan", plan == null ? NullNode.getInstance() : plan);
        AtomicFiles.write(opDir.resolve(OP_FILE), mapper.writeValueAsBytes(op));
        open.put(id, new OpState(id, opType, gun, plan == null ? NullNode.getInstance() : plan.deepCopy(), now));
        return id;
    }

    /** Durably records that step {@code name} of operation {@code id} happened. */
    public synchronized JournalStep step(String id, String name, JsonNode data) throws IOException {
        OpState op = require(id);
        Objects.requireNonNull(name, "name");
        JournalStep step = new JournalStep(
                op.steps.size() + 1, name, clock.instant(), data == null ? NullNode.getInstance() : data.deepCopy());
        ObjectNode rec = mapper.createObjectNode();
        rec.put("seq", step.seq()).put("name", name).put("time", step.time().toString());
        rec.set("data", step.data());
        AtomicFiles.write(
                dir.resolve(id).resolve(String.format("step-%06d.json", step.seq())), mapper.writeValueAsBytes(rec));
        op.steps.add(step);
        return step;
    }

    /** Ends operation {@code id} as done; {@code result} is kept with it for {@code status}. */
    public synchronized void complete(String id, JsonNode result) throws IOException {
        ObjectNode end = mapper.createObjectNode().put("outcome", "completed");
        end.set("detail", result == null ? NullNode.getInstance() : result);
        finish(id, end);
    }

    /** Ends operation {@code id} as rolled back or given up, with a reason a person can read. */
    public synchronized void abort(String id, String reason) throws IOException {
        ObjectNode end = mapper.createObjectNode().put("outcome", "aborted");
        end.set("detail", mapper.createObjectNode().put("reason", Objects.requireNonNull(reason, "reason")));
        finish(id, end);
    }

    /** Unfinished operations, oldest first. */
    public synchronized List<PendingOperation> pending() {
        return open.values().stream().map(OpState::snapshot).toList();
    }

    public synchronized Optional<PendingOperation> findPending(String id) {
        OpState s = open.get(id);
        return s == null ? Optional.empty() : Optional.of(s.snapshot());
    }

    /** An ended operation still kept in {@code done/}. */
    public synchronized Optional<FinishedOperation> findFinished(String id) throws IOException {
        if (!ID.matcher(id).matches()) {
            return Optional.empty();
        }
        Path d = doneDir.resolve(id);
        if (!Files.isDirectory(d)) {
            return Optional.empty();
        }
        OpState s = load(d);
        JsonNode end = read(d.resolve(END_FILE));
        return Optional.of(new FinishedOperation(
                s.id,
                s.type,
                s.gun,
                s.startedAt,
                instant(end, "time", d.resolve(END_FILE)),
                end.path("outcome").asText(),
                s.steps.size(),
                end.get("detail")));
    }

    private void finish(String id, ObjectNode end) throws IOException {
        require(id);
        end.put("time", clock.instant().toString());
        Path opDir = dir.resolve(id);
        AtomicFiles.write(opDir.resolve(END_FILE), mapper.writeValueAsBytes(end));
        open.remove(id);
        moveToDone(opDir);
        prune();
    }

    private void moveToDone(Path opDir) throws IOException {
        Files.move(opDir, doneDir.resolve(opDir.getFileName()), StandardCopyOption.ATOMIC_MOVE);
        AtomicFiles.fsyncDirectory(dir);
        AtomicFiles.fsyncDirectory(doneDir);
    }

    private void prune() throws IOException {
        List<Path> done;
        try (Stream<Path> s = Files.list(doneDir)) {
            done = s.filter(p -> ID.matcher(p.getFileName().toString()).matches())
                    .sorted()
                    .toList();
        }
        for (int i = 0; i < done.size() - keepFinished; i++) {
            deleteTree(done.get(i));
        }
    }

    private OpState require(String id) {
        OpState op = open.get(Objects.requireNonNull(id, "id"));
        if (op == null) {
            throw new IllegalArgumentException("no unfinished journaled operation " + id);
        }
        return op;
    }

    private String newId(Instant now) {
        lastIdMillis = Math.max(now.toEpochMilli(), lastIdMillis + 1);
        byte[] r = new byte[4];
        String id;
        do {
            RANDOM.nextBytes(r);
            id = ID_TIME.format(Instant.ofEpochMilli(lastIdMillis)) + "-"
                    + HexFormat.of().formatHex(r);
        } while (Files.exists(dir.resolve(id)) || Files.exists(doneDir.resolve(id)));
        return id;
    }

    private void noteExistingId(String id) {
        try {
            lastIdMillis = Math.max(
                    lastIdMillis,
                    Instant.from(ID_TIME.parse(id.substring(0, id.indexOf('-'))))
                            .toEpochMilli());
        } catch (DateTimeParseException e) {
            // not one of ours; ids are checked against ID before they get here
        }
    }

    // ---- start-up recovery ----

    private void recover() throws IOException {
        AtomicFiles.removeStaleTemps(dir);
        List<Path> dirs = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.equals(DONE_DIR)) {
                    continue;
                }
                if (!ID.matcher(name).matches() || !Files.isDirectory(p)) {
                    throw new JournalCorruptException(p, "is not a journal entry", null);
                }
                dirs.add(p);
            }
        }
        dirs.sort(Comparator.comparing(Path::toString));
        try (Stream<Path> s = Files.list(doneDir)) {
            s.map(p -> p.getFileName().toString())
                    .filter(n -> ID.matcher(n).matches())
                    .forEach(this::noteExistingId);
        }
        for (Path d : dirs) {
            noteExistingId(d.getFileName().toString());
            AtomicFiles.removeStaleTemps(d);
            if (!Files.exists(d.resolve(OP_FILE))) {
                // Crash between mkdir and op.json: begin() never returned, nothing was done.
                deleteTree(d);
                AtomicFiles.fsyncDirectory(dir);
                continue;
            }
            OpState s = load(d);
            if (Files.exists(d.resolve(END_FILE))) {
                read(d.resolve(END_FILE)); // must be whole
                moveToDone(d); // crash between end.json and the move
                continue;
            }
            open.put(s.id, s);
        }
        prune();
    }

    private OpState load(Path d) throws IOException {
        Path opFile = d.resolve(OP_FILE);
        JsonNode op = read(opFile);
        String id = text(op, "id", opFile);
        if (!id.equals(d.getFileName().toString())) {
            throw new JournalCorruptException(
                    opFile, "names operation " + id + " but lives in " + d.getFileName(), null);
        }
        OpState s = new OpState(
                id,
                text(op, "type", opFile),
                text(op, "gun", opFile),
                op.has("plan") ? op.get("plan") : NullNode.getInstance(),
                instant(op, "startedAt", opFile));
        TreeMap<Integer, Path> steps = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                Matcher m = STEP_FILE.matcher(name);
                if (m.matches()) {
                    steps.put(Integer.parseInt(m.group(1)), p);
                } else if (!name.equals(OP_FILE) && !name.equals(END_FILE)) {
                    throw new JournalCorruptException(p, "is not a journal record", null);
                }
            }
        }
        int expected = 1;
        for (Map.Entry<Integer, Path> e : steps.entrySet()) {
            if (e.getKey() != expected) {
                throw new JournalCorruptException(
                        e.getValue(), "follows step " + (expected - 1) + ": steps are missing", null);
            }
            JsonNode st = read(e.getValue());
            if (st.path("seq").asInt(-1) != expected) {
                throw new JournalCorruptException(
                        e.getValue(), "carries seq " + st.path("seq") + ", expected " + expected, null);
            }
            s.steps.add(new JournalStep(
                    expected,
                    text(st, "name", e.getValue()),
                    instant(st, "time", e.getValue()),
                    st.has("data") ? st.get("data") : NullNode.getInstance()));
            expected++;
        }
        return s;
    }

    private JsonNode read(Path file) throws IOException {
        try {
            JsonNode n = mapper.readTree(Files.readAllBytes(file));
            if (n == null || !n.isObject()) {
                throw new JournalCorruptException(file, "is not a JSON object", null);
            }
            return n;
        } catch (NoSuchFileException e) {
            throw new JournalCorruptException(file, "is missing", e);
        } catch (JsonProcessingException e) {
            throw new JournalCorruptException(file, "is not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
    }

    private static String text(JsonNode n, String field, Path file) throws JournalCorruptException {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new JournalCorruptException(file, "has no string field '" + field + "'", null);
        }
        return v.asText();
    }

    private static Instant instant(JsonNode n, String field, Path file) throws JournalCorruptException {
        String s = text(n, field, file);
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw new JournalCorruptException(file, "has a bad time in '" + field + "': " + s, e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
                for (Path c : ds) {
                    deleteTree(c);
                }
            }
        }
        Files.deleteIfExists(p);
    }
}
