package dev.custody.daemon.repo;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.state.AtomicFiles;
import dev.custody.tuf.update.FileTrustedMetaStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The local state of one repository, under {@code STATE/repos/<escaped GUN>/}:
 *
 * <ul>
 *   <li>{@code tuf/} — the trusted metadata ({@link FileTrustedMetaStore}); it moves forward only by
 *       an update from the server, after the server accepted what we sent;</li>
 *   <li>{@code changelist.json} — the staged changes ({@link Change}), rewritten atomically;</li>
 *   <li>{@code repo.json} — the server it lives on and, between {@code repo.init} and the first
 *       publish, the keys of the new repository;</li>
 *   <li>{@code inflight/<operation id>/} — signed files of a journaled publish until it is committed.</li>
 * </ul>
 *
 * <p>Callers hold the GUN's lock, except for the changelist: {@link #changes()} reads it without any lock
 * (it is replaced atomically), and {@link #stage}, {@link #dropChanges} and {@link #deleteAll} take a short
 * lock of their own for their read-modify-write. So staging and {@code repo.status} never wait for a
 * server call that holds the GUN's lock.
 */
public final class RepoState {
    private static final ObjectMapper MAPPER = JsonMapper.builder().build();
    /** One monitor per repository directory for changelist writes; a handful of bytes per GUN ever seen. */
    private static final ConcurrentHashMap<Path, Object> CHANGELIST_LOCKS = new ConcurrentHashMap<>();

    private final String gun;
    private final Path dir;
    private final FileTrustedMetaStore store;

    RepoState(Path reposDir, String gun) {
        this.gun = gun;
        this.dir = reposDir.resolve(URLEncoder.encode(gun, StandardCharsets.UTF_8));
        this.store = new FileTrustedMetaStore(dir.resolve("tuf"));
    }

    public String gun() {
        return gun;
    }

    public Path dir() {
        return dir;
    }

    public FileTrustedMetaStore store() {
        return store;
    }

    /** Whether anything is known locally about this repository. */
    public boolean exists() {
        return Files.isDirectory(dir);
    }

    /** Whether the trusted copy holds a root (the repository was published or listed before). */
    public boolean hasTrustedRoot() throws IOException {
        return store.find(gun, "root").isPresent();
    }

    // ---- repo.json ----

    public Optional<ObjectNode> info() throws IOException {
        return readObject(dir.resolve("repo.json"));
    }

    public void writeInfo(ObjectNode info) throws IOException {
        AtomicFiles.createDirectories(dir);
        AtomicFiles.write(dir.resolve("repo.json"), MAPPER.writeValueAsBytes(info));
    }

    // ---- changelist ----

    public List<Change> changes() throws IOException {
        return readChangelist(c -> true).changes();
    }

    private Object changelistLock() {
        return CHANGELIST_LOCKS.computeIfAbsent(dir.toAbsolutePath().normalize(), d -> new Object());
    }

    /** Appends changes (numbered here) in one atomic write; returns how many are staged now. */
    public int stage(List<Change> add) throws IOException {
        synchronized (changelistLock()) {
            Changelist cl = readChangelist(c -> true);
            long next = cl.nextSeq();
            List<Change> all = cl.changes();
            for (Change c : add) {
                all.add(c.withSeq(next++));
            }
            writeChanges(all, next);
            return all.size();
        }
    }

    /** Drops the changes numbered up to {@code maxSeq} (all of them with {@code Long.MAX_VALUE}); returns how many. */
    public int dropChanges(long maxSeq) throws IOException {
        return dropWhere(c -> c.seq() <= maxSeq);
    }

    /** Drops exactly the changes numbered {@code seqs} (what one publish carried); returns how many. */
    public int dropChanges(java.util.Set<Long> seqs) throws IOException {
        return dropWhere(c -> seqs.contains(c.seq()));
    }

    private int dropWhere(Predicate<Change> drop) throws IOException {
        synchronized (changelistLock()) {
            Changelist cl = readChangelist(drop.negate());
            if (!cl.present()) {
                return 0;
            }
            writeChanges(cl.changes(), cl.nextSeq());
            return cl.read() - cl.changes().size();
        }
    }

    /**
     * The changelist file as read: its {@code nextSeq}, the changes kept, how many it held.
     *
     * @param present whether the file exists (and holds an object)
     */
    private record Changelist(boolean present, long nextSeq, List<Change> changes, int read) {}

    /**
     * Reads {@code changelist.json} one change at a time, keeping those {@code keep} accepts. A publish of
     * tens of thousands of targets drops them all here: streamed, the file is never held as one tree
     * beside the metadata being published (it was, twice, and that ran a 96 MiB heap out of memory).
     */
    private Changelist readChangelist(Predicate<Change> keep) throws IOException {
        List<Change> out = new ArrayList<>();
        InputStream in;
        try {
            in = Files.newInputStream(dir.resolve("changelist.json"));
        } catch (NoSuchFileException e) {
            return new Changelist(false, 1, out, 0);
        }
        try (JsonParser p = MAPPER.createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return new Changelist(false, 1, out, 0);
            }
            long next = 1;
            int read = 0;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("nextSeq") && value != JsonToken.START_OBJECT && value != JsonToken.START_ARRAY) {
                    next = p.getValueAsLong(1);
                } else if (field.equals("changes") && value == JsonToken.START_ARRAY) {
                    while (p.nextToken() != JsonToken.END_ARRAY) {
                        Change c = Change.fromJson(MAPPER.readTree(p));
                        read++;
                        if (keep.test(c)) {
                            out.add(c);
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            return new Changelist(true, next, out, read);
        }
    }

    /** Writes the changelist atomically, streamed change by change (no tree of the whole list). */
    private void writeChanges(List<Change> all, long nextSeq) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + all.size() * 256);
        try (JsonGenerator g = MAPPER.createGenerator(bytes)) {
            g.writeStartObject();
            g.writeStringField("gun", gun);
            g.writeNumberField("nextSeq", nextSeq);
            g.writeArrayFieldStart("changes");
            for (Change c : all) {
                MAPPER.writeTree(g, c.toJson());
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        AtomicFiles.createDirectories(dir);
        AtomicFiles.write(dir.resolve("changelist.json"), bytes.toByteArray());
    }

    // ---- in-flight signed files ----

    public void writeInflight(String opId, Map<String, byte[]> files) throws IOException {
        Path d = dir.resolve("inflight").resolve(opId);
        AtomicFiles.createDirectories(d);
        ArrayNode order = MAPPER.createArrayNode();
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            AtomicFiles.write(d.resolve(fileName(e.getKey())), e.getValue());
            order.add(e.getKey());
        }
        AtomicFiles.write(d.resolve("order.json"), MAPPER.writeValueAsBytes(order));
    }

    public Map<String, byte[]> readInflight(String opId) throws IOException {
        Path d = dir.resolve("inflight").resolve(opId);
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (JsonNode r : MAPPER.readTree(Files.readAllBytes(d.resolve("order.json")))) {
            out.put(r.asText(), Files.readAllBytes(d.resolve(fileName(r.asText()))));
        }
        return out;
    }

    public void deleteInflight(String opId) throws IOException {
        deleteTree(dir.resolve("inflight").resolve(opId));
    }

    /** Removes the whole local state of this repository ({@code repo.delete}). */
    public void deleteAll() throws IOException {
        synchronized (changelistLock()) {
            deleteTree(dir);
        }
    }

    private static String fileName(String role) {
        return role.replace("/", "%2F") + ".json";
    }

    private static Optional<ObjectNode> readObject(Path p) throws IOException {
        try {
            JsonNode n = MAPPER.readTree(Files.readAllBytes(p));
            return n instanceof ObjectNode o ? Optional.of(o) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
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
