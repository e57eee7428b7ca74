package dev.custody.testhsm;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Raw {@code C_Sign} throughput of a PKCS#11 module, measured by the C program {@code signbench.c}
 * (ECDSA P-256, {@code CKM_ECDSA} over a 32-byte digest, one session per thread).
 *
 * <p>Call sequence: {@link #run(Path, String, int, int, char[])} → read the {@link Result}. The PIN
 * goes to the program on its stdin, never on its command line or in its environment.
 */
public final class SignBench {
    private static final Pattern LINE = Pattern.compile(
            "threads=(\\d+) seconds=(\\d+) signs=(\\d+) signs_per_sec=([0-9.]+) elapsed_sec=([0-9.]+) key=(\\w+)");

    /** One run's figures, as the program printed them. */
    public record Result(int threads, int seconds, long signs, double signsPerSec, double elapsedSeconds, String key) {}

    private SignBench() {}

    /** The compiled bench in the build cache (gcc runs once per source version). */
    public static Path executable() throws IOException {
        return NativeBuild.build(
                NativeBuild.Kind.EXECUTABLE,
                "signbench.c",
                "custody-signbench",
                List.of("custody_ckr.h", "benchlat.h"));
    }

    /** Runs the bench with a session key it generates, in this JVM's environment. */
    public static Result run(Path module, String tokenLabel, int threads, int seconds, char[] pin) throws IOException {
        return run(module, tokenLabel, null, threads, seconds, pin, Map.of());
    }

    /**
     * Runs the bench.
     *
     * @param keyLabel an EC private key already on the token, or {@code null} to generate a session key
     * @param environment added to this JVM's environment for the child (e.g. {@code SOFTHSM2_CONF})
     * @throws IOException if the program fails; the message carries its error output
     */
    public static Result run(
            Path module,
            String tokenLabel,
            String keyLabel,
            int threads,
            int seconds,
            char[] pin,
            Map<String, String> environment)
            throws IOException {
        if (threads < 1 || seconds < 1) {
            throw new IllegalArgumentException("threads and seconds must be >= 1");
        }
        List<String> command = new ArrayList<>(List.of(
                executable().toString(),
                module.toString(),
                tokenLabel,
                Integer.toString(threads),
                Integer.toString(seconds)));
        if (keyLabel != null) {
            command.add(keyLabel);
        }
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> env = pb.environment();
        env.putAll(new HashMap<>(environment));
        env.remove("CUSTODY_BENCH_PIN"); // the PIN comes on stdin
        Process p = pb.start();
        CompletableFuture<byte[]> out = drain(p.getInputStream());
        CompletableFuture<byte[]> err = drain(p.getErrorStream());
        byte[] pinBytes = encode(pin);
        try (OutputStream in = p.getOutputStream()) {
            in.write(pinBytes);
            in.write('\n');
        } catch (IOException e) {
            // the program exited before reading its PIN; its stderr says why
        } finally {
            Arrays.fill(pinBytes, (byte) 0);
        }
        try {
            if (!p.waitFor(seconds + 120L, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("signbench did not finish within " + (seconds + 120) + " s");
            }
            String stdout = new String(out.get(), StandardCharsets.UTF_8);
            String stderr = new String(err.get(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException("signbench exited " + p.exitValue() + ": " + stderr.strip());
            }
            return parse(stdout);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running signbench", e);
        } catch (ExecutionException e) {
            throw new IOException("cannot read signbench's output", e.getCause());
        }
    }

    /** Parses the program's result line ({@code threads=… seconds=… signs=… signs_per_sec=…}). */
    public static Result parse(String output) {
        Matcher m = LINE.matcher(output);
        if (!m.find()) {
            throw new IllegalArgumentException("no signbench result line in: " + output.strip());
        }
        return new Result(
                Integer.parseInt(m.group(1)),
                Integer.parseInt(m.group(2)),
                Long.parseLong(m.group(3)),
                Double.parseDouble(m.group(4)),
                Double.parseDouble(m.group(5)),
                m.group(6));
    }

    private static CompletableFuture<byte[]> drain(InputStream in) {
        return CompletableFuture.supplyAsync(
                () -> {
                    try (in) {
                        ByteArrayOutputStream buf = new ByteArrayOutputStream();
                        in.transferTo(buf);
                        return buf.toByteArray();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                r -> {
                    Thread t = new Thread(r, "signbench-output");
                    t.setDaemon(true);
                    t.start();
                });
    }

    private static byte[] encode(char[] pin) throws IOException {
        CharsetEncoder enc = StandardCharsets.UTF_8
                .newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            ByteBuffer bb = enc.encode(CharBuffer.wrap(pin));
            byte[] bytes = new byte[bb.remaining()];
            bb.get(bytes);
            if (bb.hasArray()) {
                Arrays.fill(bb.array(), (byte) 0);
            }
            return bytes;
        } catch (CharacterCodingException e) {
            throw new IOException("the PIN is not valid text", e);
        }
    }
}
