package dev.custody.testhsm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Key material made by the real openssl, as a user would make it for notary or custody. Nothing is secret: tests only. */
public final class OpenSsl {
    private OpenSsl() {}

    /**
     * A self-signed certificate over a fresh P-256 key ({@code openssl req -x509 -newkey ec -nodes}): the key
     * unencrypted in {@code key}, the certificate in {@code cert}; returns {@code cert}.
     *
     * @param subject e.g. {@code /CN=releases}
     */
    public static Path selfSignedP256(Path key, Path cert, String subject, int days) throws IOException {
        run(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString(),
                "-subj",
                subject,
                "-days",
                Integer.toString(days));
        return cert;
    }

    /** A fresh unencrypted PKCS#8 P-256 key ({@code openssl genpkey}) in {@code key}; returns {@code key}. */
    public static Path p256Key(Path key) throws IOException {
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.toString());
        return key;
    }

    /** Runs openssl with these arguments (the first is "openssl"); its output, or an exception with it. */
    public static String run(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("openssl did not finish within 60 s: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new IOException("interrupted waiting for openssl", e);
        }
        if (p.exitValue() != 0) {
            throw new IOException("openssl exited " + p.exitValue() + ": " + out);
        }
        return out;
    }
}
