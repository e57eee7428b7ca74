package dev.custody.tuf.update;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@link TrustedMetaStore} in a directory, laid out as Notary's trust dir:
 * {@code <dir>/<gun>/metadata/<role>.json} ({@code targets/releases} → {@code metadata/targets/releases.json}).
 * Each write goes to a temporary file in the same directory, is fsynced, renamed over the old file, and
 * the directory is fsynced, so a crash leaves either the old or the new file, never a torn one.
 */
public final class FileTrustedMetaStore implements TrustedMetaStore {
    private static final Pattern GUN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/-]{0,254}");
    private static final Pattern ROLE = Pattern.compile("root|snapshot|timestamp|targets(/[-a-z0-9_]+)*");
    private final Path dir;

    public FileTrustedMetaStore(Path dir) {
        this.dir = dir.toAbsolutePath();
    }

    @Override
    public Optional<byte[]> find(String gun, String role) throws IOException {
        try {
            return Optional.of(Files.readAllBytes(file(gun, role)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public Set<String> roles(String gun) throws IOException {
        Path meta = metadataDir(gun);
        Set<String> out = new TreeSet<>();
        if (!Files.isDirectory(meta)) {
            return out;
        }
        try (Stream<Path> s = Files.walk(meta)) {
            s.filter(Files::isRegularFile).forEach(p -> {
                String rel = meta.relativize(p).toString().replace('\\', '/');
                if (rel.endsWith(".json")) {
                    String role = rel.substring(0, rel.length() - 5);
                    if (ROLE.matcher(role).matches()) {
                        out.add(role);
                    }
                }
            });
        }
        return out;
    }

    @Override
    public void commit(String gun, Map<String, byte[]> files, Set<String> removed) throws IOException {
        Map<String, byte[]> ordered = new LinkedHashMap<>();
        if (files.containsKey("root")) {
            ordered.put("root", files.get("root"));
        }
        files.forEach(ordered::putIfAbsent);
        for (Map.Entry<String, byte[]> e : ordered.entrySet()) {
            Path target = file(gun, e.getKey());
            Files.createDirectories(target.getParent());
            Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
            try (FileChannel ch = FileChannel.open(
                    tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer b = ByteBuffer.wrap(e.getValue());
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException ex) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            fsyncDir(target.getParent());
        }
        for (String role : removed) {
            if (!files.containsKey(role)) {
                Path p = file(gun, role);
                if (Files.deleteIfExists(p)) {
                    fsyncDir(p.getParent());
                }
            }
        }
    }

    @Override
    public void delete(String gun) throws IOException {
        Path base = dir.resolve(checkGun(gun));
        if (!Files.exists(base)) {
            return;
        }
        Files.walkFileTree(base, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
        fsyncDir(base.getParent());
    }

    private Path metadataDir(String gun) {
        return dir.resolve(checkGun(gun)).resolve("metadata");
    }

    private Path file(String gun, String role) {
        if (!ROLE.matcher(role).matches()) {
            throw new IllegalArgumentException("not a role name: " + role);
        }
        return metadataDir(gun).resolve(role + ".json");
    }

    private static String checkGun(String gun) {
        if (!GUN.matcher(gun).matches() || gun.contains("..") || gun.contains("//") || gun.endsWith("/")) {
            throw new IllegalArgumentException("not a usable GUN: " + gun);
        }
        return gun;
    }

    private static void fsyncDir(Path d) throws IOException {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems do not allow opening a directory; the rename is still atomic there
            if (!(e.getMessage() != null && e.getMessage().contains("directory"))) {
                throw e;
            }
        }
    }
}
