package dev.custody.testhsm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs OpenSC's {@code pkcs11-tool} against a module as a child process. */
final class Pkcs11Tool {
    /** The child's environment variable holding the user PIN. */
    static final String PIN_ENV = "CUSTODY_TEST_PIN";

    record Result(int exit, String output) {
        Result assertOk() {
            if (exit != 0) {
                throw new AssertionError("pkcs11-tool exited " + exit + ":\n" + output);
            }
            return this;
        }
    }

    private Pkcs11Tool() {}

    /**
     * Runs {@code pkcs11-tool --module MODULE ARGS}. With a PIN it adds {@code --login --pin env:NAME}:
     * pkcs11-tool (OpenSC 0.23, util_get_pin) reads a PIN given as {@code env:NAME} from that variable,
     * so the PIN never appears on a command line even for these throw-away test tokens.
     */
    static Result run(Path module, String pin, String... args) throws IOException {
        return run(module, pin, Map.of(), args);
    }

    static Result run(Path module, String pin, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("pkcs11-tool", "--module", module.toString()));
        if (pin != null) {
            cmd.addAll(List.of("--login", "--pin", "env:" + PIN_ENV));
        }
        cmd.addAll(List.of(args));
        Path log = Files.createTempFile("pkcs11-tool-", ".log");
        try {
            ProcessBuilder pb =
                    new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().remove(PIN_ENV);
            pb.environment().putAll(env);
            if (pin != null) {
                pb.environment().put(PIN_ENV, pin);
            }
            Process p = pb.start();
            p.getOutputStream().close(); // a PIN prompt must fail, not wait
            try {
                if (!p.waitFor(60, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException("pkcs11-tool timed out: " + String.join(" ", args));
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
