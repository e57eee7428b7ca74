package dev.custody.pkcs11;

import dev.custody.testhsm.SoftHsm;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs OpenSC's pkcs11-tool as an independent witness of what is on a token. The PIN is typed into
 * pkcs11-tool's prompt through a pseudo-terminal ({@code script}), never put on its command line.
 */
final class Pkcs11Tool {
    private Pkcs11Tool() {}

    static String listObjects(SoftHsm hsm, String module, String tokenLabel, String pin)
            throws IOException, InterruptedException {
        String cmd = "pkcs11-tool --module " + module + " --token-label '" + tokenLabel + "' --login --list-objects";
        ProcessBuilder pb =
                new ProcessBuilder(List.of("script", "-q", "-e", "-c", cmd, "/dev/null")).redirectErrorStream(true);
        pb.environment().putAll(hsm.env());
        Process p = pb.start();
        Thread.sleep(300); // let pkcs11-tool reach its PIN prompt before typing
        try (OutputStream in = p.getOutputStream()) {
            in.write((pin + "\n").getBytes(StandardCharsets.UTF_8));
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("pkcs11-tool timed out");
        }
        String text = new String(out, StandardCharsets.UTF_8).replace("\r", "");
        if (p.exitValue() != 0) {
            throw new IOException("pkcs11-tool exited " + p.exitValue() + ": " + text);
        }
        return text;
    }

    /** The block of pkcs11-tool output describing the private key with this label. */
    static String privateKeyBlock(String listing, String keyLabel) {
        for (String block : listing.split("\n(?=\\S)")) {
            if (block.startsWith("Private Key Object") && block.contains("label:      " + keyLabel + "\n")) {
                return block;
            }
        }
        throw new AssertionError("pkcs11-tool lists no private key labelled " + keyLabel + ":\n" + listing);
    }
}
