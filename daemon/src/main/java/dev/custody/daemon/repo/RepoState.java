package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.state.AtomicFiles;
import dev.custody.tuf.update.FileTrustedMetaStore;
import java.io.IOException;
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
        Optional<ObjectNode> o = readObject(dir.resolve("changelist.json"));
        List<Change> out = new ArrayList<>();
        if (o.isPresent()) {
            for (JsonNode n : o.get().path("changes")) {
                out.add(Change.fromJson(n));
            }
        }
        return out;
    }

    private Object changelistLock() {
        return CHANGELIST_LOCKS.computeIfAbsent(dir.toAbsolutePath().normalize(), d -> new Object());
    }

    /** Appends changes (numbered here) in one atomic write; returns how many are staged now. */
    public int stage(List<Change> add) throws IOException {
        synchronized (changelistLock()) {
            return stageLocked(add);
        }
    }

    private int stageLocked(List<Change> add) throws IOException {
        Optional<ObjectNode> o = readObject(dir.resolve("changelist.json"));
        long next = o.map(n -> n.path("nextSeq").asLong(1)).orElse(1L);
        List<Change> all = changes();
        for (Change c : add) {
            all.add(c.withSeq(next++));
        }
        writeChanges(all, next);
        return all.size();
    }

    /** Drops the changes numbered up to {@code maxSeq} (all of them with {@code Long.MAX_VALUE}); returns how many. */
    public int dropChanges(long maxSeq) throws IOException {
        synchronized (changelistLock()) {
            return dropLocked(maxSeq);
        }
    }

    private int dropLocked(long maxSeq) throws IOException {
        Optional<ObjectNode> o = readObject(dir.resolve("changelist.json"));
        if (o.isEmpty()) {
            return 0;
        }
        long next = o.get().path("nextSeq").asLong(1);
        List<Change> all = changes();
        List<Change> keep = all.stream().filter(c -> c.seq() > maxSeq).toList();
        writeChanges(keep, next);
        return all.size() - keep.size();
    }

    /** Drops exactly the changes numbered {@code seqs} (what one publish carried); returns how many. */
    public int dropChanges(java.util.Set<Long> seqs) throws IOException {
        Optional<ObjectNode> o = readObject(dir.resolve("changelist.json"));
        if (o.isEmpty()) {
            return 0;
        }
        long next = o.get().path("nextSeq").asLong(1);
        List<Change> all = changes();
        List<Change> keep = all.stream().filter(c -> !seqs.contains(c.seq())).toList();
        writeChanges(keep, next);
        return all.size() - keep.size();
    }

    private void writeChanges(List<Change> all, long nextSeq) throws IOException {
        ObjectNode root = MAPPER.createObjectNode().put("gun", gun).put("nextSeq", nextSeq);
        ArrayNode arr = root.putArray("changes");
        all.forEach(c -> arr.add(c.toJson()));
        AtomicFiles.createDirectories(dir);
        AtomicFiles.write(dir.resolve("changelist.json"), MAPPER.writeValueAsBytes(root));
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
