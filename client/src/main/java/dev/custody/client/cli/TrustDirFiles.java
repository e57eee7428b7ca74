package dev.custody.client.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The private key files of a notary / docker trust_dir, as {@code custody key import} reads them. Notary
 * 0.7 keeps {@code private/<keyid>.key} with {@code role:} and {@code gun:} PEM headers; older notary
 * releases kept {@code private/root_keys/<keyid>_root.key} and {@code private/tuf_keys/<gun>/<keyid>_<role>.key}
 * without headers, so there the role and GUN come from the path. Only the CLI reads the files; the key
 * material goes to custodyd in {@code key.import} and nowhere else.
 */
final class TrustDirFiles {
    /** A key file larger than this is not a notary key. */
    static final long MAX_KEY_FILE = 64 * 1024;

    private TrustDirFiles() {}

    /**
     * One key file.
     *
     * @param headerRole the PEM's {@code role:} header, or null
     * @param headerGun the PEM's {@code gun:} header, or null
     * @param layoutRole the role the old layout's path gives ({@code root_keys/}, {@code _<role>.key}), or null
     * @param layoutGun the GUN the old layout's path gives ({@code tuf_keys/<gun>/}), or null
     */
    record KeyFile(
            Path path,
            String pem,
            boolean encrypted,
            String headerRole,
            String headerGun,
            String layoutRole,
            String layoutGun) {
        /** The key's role as far as the file tells. */
        String role() {
            return headerRole != null ? headerRole : layoutRole;
        }

        @Override
        public String toString() {
            return "KeyFile[" + path + ", role=" + role() + "]"; // never the PEM
        }
    }

    /**
     * The key files {@code p} names: {@code p} itself if it is a file; else every {@code *.key} under
     * {@code p/private} (when {@code p} is a trust_dir) or under {@code p}, sorted by path.
     */
    static List<KeyFile> collect(Path p) throws IOException {
        if (!Files.isDirectory(p)) {
            return List.of(read(RepoCommands.checkReadable(p), null));
        }
        Path base = Files.isDirectory(p.resolve("private")) ? p.resolve("private") : p;
        List<Path> found;
        try (Stream<Path> walk = Files.walk(base)) {
            found = walk.filter(Files::isRegularFile)
                    .filter(f -> f.getFileName().toString().endsWith(".key"))
                    .sorted()
                    .toList();
        }
        if (found.isEmpty()) {
            throw new Failure.UsageException(
                    "no *.key files under " + base + " (a notary trust_dir keeps its keys in" + " private/)");
        }
        List<KeyFile> out = new ArrayList<>();
        for (Path f : found) {
            out.add(read(f, base));
        }
        return out;
    }

    private static KeyFile read(Path f, Path base) throws IOException {
        if (Files.size(f) > MAX_KEY_FILE) {
            throw new Failure.UsageException(f + " is larger than " + MAX_KEY_FILE + " bytes: not a notary key file");
        }
        String pem = Files.readString(f, StandardCharsets.US_ASCII);
        String headerRole = null;
        String headerGun = null;
        boolean inBlock = false;
        for (String line : pem.lines().toList()) {
            if (line.startsWith("-----BEGIN ")) {
                inBlock = true;
                continue;
            }
            if (!inBlock || line.isBlank() || !line.contains(":")) {
                if (inBlock && !line.isBlank()) {
                    break; // the base64 body: headers come before it
                }
                continue;
            }
            String name = line.substring(0, line.indexOf(':')).strip().toLowerCase(Locale.ROOT);
            String value = line.substring(line.indexOf(':') + 1).strip();
            if (name.equals("role")) {
                headerRole = value;
            } else if (name.equals("gun")) {
                headerGun = value;
            }
        }
        String layoutRole = null;
        String layoutGun = null;
        String name = f.getFileName().toString();
        String stem = name.substring(0, name.length() - ".key".length());
        if (stem.contains("_")) {
            layoutRole = stem.substring(stem.lastIndexOf('_') + 1);
        }
        if (base != null) {
            Path rel = base.relativize(f);
            if (rel.getNameCount() >= 2 && rel.getName(0).toString().equals("root_keys")) {
                layoutRole = "root";
            } else if (rel.getNameCount() >= 3 && rel.getName(0).toString().equals("tuf_keys")) {
                layoutGun = rel.subpath(1, rel.getNameCount() - 1)
                        .toString()
                        .replace(f.getFileSystem().getSeparator(), "/");
            }
        }
        return new KeyFile(f, pem, pem.contains("-----BEGIN ENCRYPTED"), headerRole, headerGun, layoutRole, layoutGun);
    }

    /**
     * The passphrase notary or docker would use for a key of {@code role}: {@code NOTARY_<ROLE>_PASSPHRASE}
     * (ROOT, TARGETS, SNAPSHOT; DELEGATION for any other role), else docker's
     * {@code DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE} / {@code DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE}; null if
     * neither is set. The caller wipes the array.
     */
    static char[] passphraseFromEnv(Map<String, String> env, String role) {
        String v = passphraseVariable(env, role);
        return v == null ? null : env.get(v).toCharArray();
    }

    /** The name of the variable {@link #passphraseFromEnv} reads, or null if none is set. */
    static String passphraseVariable(Map<String, String> env, String role) {
        String r = role == null ? "" : role;
        String notary = switch (r) {
            case "root" -> "NOTARY_ROOT_PASSPHRASE";
            case "targets" -> "NOTARY_TARGETS_PASSPHRASE";
            case "snapshot" -> "NOTARY_SNAPSHOT_PASSPHRASE";
            default -> "NOTARY_DELEGATION_PASSPHRASE";
        };
        String docker = r.equals("root")
                ? "DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE"
                : "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE";
        for (String v : List.of(notary, docker)) {
            String value = env.get(v);
            if (value != null && !value.isEmpty()) {
                return v;
            }
        }
        return null;
    }
}
