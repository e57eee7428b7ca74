package dev.custody.daemon.testing;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The test JVM's class path as a list of files, with surefire's manifest-only booter jar expanded,
 * so child processes can be started with the same classes.
 */
public final class TestClasspath {
    private TestClasspath() {}

    public static List<Path> entries() throws IOException {
        List<Path> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (e.isEmpty()) {
                continue;
            }
            Path p = Path.of(e).toAbsolutePath();
            out.add(p);
            if (p.getFileName().toString().startsWith("surefirebooter")
                    && p.toString().endsWith(".jar")) {
                try (JarFile jar = new JarFile(p.toFile())) {
                    Manifest m = jar.getManifest();
                    String cp = m == null ? null : m.getMainAttributes().getValue("Class-Path");
                    if (cp != null) {
                        for (String u : cp.trim().split("\\s+")) {
                            out.add(Path.of(URI.create(u)));
                        }
                    }
                }
            }
        }
        return out.stream().filter(Files::exists).distinct().toList();
    }

    /** The class path as one string. */
    public static String asString() throws IOException {
        return String.join(
                java.io.File.pathSeparator,
                entries().stream().map(Path::toString).toList());
    }

    /** The java launcher of this JVM. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
