package dev.custody.daemon.policy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Looks up users and groups the way the system does ({@code getent}, so NSS sources such as LDAP
 * count), and reads a peer process's supplementary groups from {@code /proc}.
 */
public final class UnixAccounts {
    private UnixAccounts() {}

    /** The uid of {@code user}, a name or a number. */
    public static OptionalLong uidOf(String user) {
        return lookup("passwd", user);
    }

    /** The gid of {@code group}, a name or a number. */
    public static OptionalLong gidOf(String group) {
        return lookup("group", group);
    }

    /** This process's effective uid. */
    public static long selfUid() {
        return procSelf("unix:uid");
    }

    /** This process's effective gid. */
    public static long selfGid() {
        return procSelf("unix:gid");
    }

    private static long procSelf(String attr) {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), attr)).longValue();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read own " + attr + " from /proc/self: " + e.getMessage(), e);
        }
    }

    /**
     * Every group of process {@code pid}: its primary {@code gid} (from SO_PEERCRED) plus the
     * supplementary groups listed in {@code /proc/PID/status}. The supplementary groups are used only
     * if that file's effective uid is {@code uid}, so a recycled pid cannot lend another user's
     * groups; otherwise only the primary gid is returned.
     */
    public static Set<Long> groupsOf(long pid, long uid, long gid) {
        Set<Long> groups = new LinkedHashSet<>();
        groups.add(gid);
        if (pid <= 0) {
            return groups;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return groups;
        }
        long euid = -1;
        Set<Long> supplementary = new LinkedHashSet<>();
        for (String l : lines) {
            if (l.startsWith("Uid:")) {
                String[] f = l.substring(4).trim().split("\\s+");
                if (f.length >= 2) {
                    euid = parse(f[1]);
                }
            } else if (l.startsWith("Groups:")) {
                for (String g : l.substring(7).trim().split("\\s+")) {
                    if (!g.isEmpty()) {
                        supplementary.add(parse(g));
                    }
                }
            }
        }
        if (euid == uid) {
            supplementary.remove(-1L);
            groups.addAll(supplementary);
        }
        return groups;
    }

    private static long parse(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static OptionalLong lookup(String database, String key) {
        if (key == null || key.isEmpty()) {
            return OptionalLong.empty();
        }
        if (key.chars().allMatch(Character::isDigit)) {
            return OptionalLong.of(Long.parseLong(key));
        }
        if (!key.matches("[A-Za-z0-9._][A-Za-z0-9._-]*\\$?")) {
            return OptionalLong.empty();
        }
        try {
            Process p = new ProcessBuilder("getent", database, key)
                    .redirectErrorStream(true)
                    .start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readNBytes(64 * 1024);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return fromFile(database, key);
            }
            if (p.exitValue() != 0) {
                return OptionalLong.empty();
            }
            return idField(new String(out, StandardCharsets.UTF_8).trim(), key);
        } catch (IOException e) {
            return fromFile(database, key); // no getent: read the local file
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalLong.empty();
        }
    }

    private static OptionalLong fromFile(String database, String key) {
        try {
            for (String l : Files.readAllLines(Path.of("/etc", database), StandardCharsets.UTF_8)) {
                OptionalLong id = idField(l, key);
                if (id.isPresent()) {
                    return id;
                }
            }
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    /** name:x:ID:... → ID, if name is {@code key}. */
    private static OptionalLong idField(String line, String key) {
        String[] f = line.split(":", -1);
        if (f.length >= 3 && f[0].equals(key)) {
            long id = parse(f[2]);
            return id < 0 ? OptionalLong.empty() : OptionalLong.of(id);
        }
        return OptionalLong.empty();
    }
}
