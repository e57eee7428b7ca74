package dev.custody.tuf.server;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The real {@code notary} 0.7 CLI against one server, with its own trust dir and passphrases from the environment. */
final class NotaryCli {
    static final String PASSPHRASE = "custody-test-passphrase";

    private final Path trustDir;
    private final String serverUrl;
    private final Path caCert;

    NotaryCli(Path trustDir, String serverUrl, Path caCert) {
        this.trustDir = trustDir;
        this.serverUrl = serverUrl;
        this.caCert = caCert;
    }

    /** Runs {@code notary -d <trust> -s <url> [--tlscacert ca] args…} with stdin closed; returns stdout+stderr. */
    String run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("notary", "-d", trustDir.toString(), "-s", serverUrl));
        if (caCert != null) {
            cmd.add("--tlscacert");
            cmd.add(caCert.toString());
        }
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = pb.environment();
        for (String role : List.of("ROOT", "TARGETS", "SNAPSHOT", "DELEGATION")) {
            env.put("NOTARY_" + role + "_PASSPHRASE", PASSPHRASE);
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(cmd + " timed out");
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(cmd + " exited " + p.exitValue() + ": " + text);
        }
        return text;
    }

    /** A role's file in notary's cache: {@code <trust>/tuf/<gun>/metadata/<role>.json}. */
    byte[] cached(String gun, String role) throws IOException {
        return Files.readAllBytes(trustDir.resolve("tuf").resolve(gun).resolve("metadata").resolve(role + ".json"));
    }

    Path trustDir() {
        return trustDir;
    }

    /** Runs a helper program (openssl) in {@code dir}, failing on a non-zero exit. */
    static void exec(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + new String(out, StandardCharsets.UTF_8));
        }
    }
}
