package dev.custody.p11module;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.Daemon;
import dev.custody.daemon.StandardExtensions;
import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.config.DaemonConfig;
import dev.custody.testhsm.DaemonYaml;
import dev.custody.testhsm.FaultShim;
import dev.custody.testhsm.SoftHsm;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real custodyd (in this JVM, with the keys, repository and PKCS#11 front-door extensions) on a
 * temporary socket over a fresh SoftHSM2 token behind the fault shim, and libcustody-pkcs11.so built
 * from this module's C sources; runs the real consumers (pkcs11-tool, openssl, ssh-keygen, python3)
 * as child processes, so custodyd sees them through SO_PEERCRED.
 */
final class FrontDoorHarness implements Closeable {
    static final String PIN = "620417";
    static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final SoftHsm.Token token;
    final FaultShim shim;
    final Path module;
    Daemon daemon;
    CustodyClient client;

    /** The result of a child process. */
    record Run(int exit, String out, String err) {
        String all() {
            return out + err;
        }
    }

    FrontDoorHarness(Path dir) throws IOException {
        this.dir = dir;
        SoftHsm hsm = SoftHsm.forThisProcess();
        this.token =
                hsm.createToken("p11-" + UUID.randomUUID().toString().substring(0, 8), SoftHsm.DEFAULT_SO_PIN, PIN);
        this.shim = FaultShim.create(SoftHsm.MODULE, dir.resolve("shim"));
        this.module = ModuleBuild.build();
    }

    Path socket() {
        return dir.resolve("run/custody.sock");
    }

    Path auditLog() {
        return dir.resolve("state/audit.log");
    }

    /** Starts custodyd; {@code extra} is appended to its YAML config (policy, approvalTimeout …). */
    FrontDoorHarness start(String extra) throws Exception {
        Path pinFile = dir.resolve("pin");
        Files.writeString(pinFile, PIN + "\n");
        DaemonConfig config = ConfigLoader.parse(
                DaemonYaml.in(dir)
                        .token("main", shim.modulePath(), token.label(), "file:" + pinFile)
                        .more(extra)
                        .text(),
                dir.resolve("custodyd.yaml"),
                ConfigLoader.Accounts.SYSTEM);
        daemon = Daemon.start(config, Map.of(), StandardExtensions.create(Map.of()), Clock.systemUTC());
        client = CustodyClient.connect(socket(), Duration.ofSeconds(120));
        return this;
    }

    void stop() throws IOException {
        if (client != null) {
            client.close();
            client = null;
        }
        if (daemon != null) {
            daemon.stop();
            daemon = null;
        }
    }

    /** key.generate; the result (keyId …). */
    JsonNode generate(String role, String gun, String algorithm) throws Exception {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("role", role);
        if (gun != null) {
            p.put("gun", gun);
        }
        p.put("algorithm", algorithm);
        return client.call("key.generate", p);
    }

    /** A key's public key as a PEM file (from the inventory, via pkcs11.keys). */
    Path publicKeyPem(String keyId) throws Exception {
        for (JsonNode k : client.call("pkcs11.keys", Map.of()).get("keys")) {
            if (k.get("keyId").asText().equals(keyId)) {
                String b64 = k.get("publicKey").asText();
                StringBuilder pem = new StringBuilder("-----BEGIN PUBLIC KEY-----\n");
                for (int i = 0; i < b64.length(); i += 64) {
                    pem.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
                }
                Path f = dir.resolve(keyId.substring(0, 12) + ".pub.pem");
                Files.writeString(f, pem.append("-----END PUBLIC KEY-----\n"));
                return f;
            }
        }
        throw new IllegalStateException("key " + keyId + " is not listed by pkcs11.keys");
    }

    /**
     * {@code pkcs11-tool --module MODULE --sign -m ECDSA --id KEYID -i IN -o OUT} and {@code more} arguments, with
     * {@code env} (from {@link #env}).
     */
    Run signEcdsa(Map<String, String> env, String keyId, Path in, Path out, String... more) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                "pkcs11-tool",
                "--module",
                module.toString(),
                "--sign",
                "-m",
                "ECDSA",
                "--id",
                keyId,
                "-i",
                in.toString(),
                "-o",
                out.toString()));
        cmd.addAll(List.of(more));
        return run(env, cmd);
    }

    /** {@code openssl pkeyutl -verify} of signature file {@code sig} over the digest in {@code in} with a public key PEM. */
    Run verifyDigest(Path publicKeyPem, Path in, Path sig) throws Exception {
        return verify(publicKeyPem, in, sig, false);
    }

    /** {@link #verifyDigest} of a signature over the message itself ({@code -rawin}, Ed25519). */
    Run verifyRaw(Path publicKeyPem, Path in, Path sig) throws Exception {
        return verify(publicKeyPem, in, sig, true);
    }

    private Run verify(Path publicKeyPem, Path in, Path sig, boolean raw) throws Exception {
        List<String> cmd =
                new ArrayList<>(List.of("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", publicKeyPem.toString()));
        if (raw) {
            cmd.add("-rawin");
        }
        cmd.addAll(List.of("-in", in.toString(), "-sigfile", sig.toString()));
        return run(Map.of(), cmd);
    }

    /** A module config file with these lines; its path. */
    Path moduleConf(String name, String... lines) throws IOException {
        Path f = dir.resolve(name + ".conf");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    /** The environment a consumer runs with: our socket, and {@code conf} as the module's config file. */
    Map<String, String> env(Path conf) {
        Map<String, String> env = new HashMap<>();
        env.put("CUSTODY_SOCKET", socket().toString());
        env.put("CUSTODY_PKCS11_CONF", conf == null ? dir.resolve("none.conf").toString() : conf.toString());
        return env;
    }

    Run run(Map<String, String> env, List<String> command) throws Exception {
        return run(env, command, null, Duration.ofSeconds(120));
    }

    Run run(Map<String, String> env, List<String> command, String stdin, Duration timeout) throws Exception {
        Process p = start(env, command);
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        return finish(p, timeout);
    }

    Process start(Map<String, String> env, List<String> command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile());
        pb.environment().putAll(env);
        return pb.start();
    }

    static Run finish(Process p, Duration timeout) throws Exception {
        CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(
                    "timed out: " + p.info().commandLine().orElse("?"));
        }
        return new Run(
                p.exitValue(),
                new String(out.get(), StandardCharsets.UTF_8),
                new String(err.get(), StandardCharsets.UTF_8));
    }

    private static byte[] readAll(java.io.InputStream in) {
        try {
            return in.readAllBytes();
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** The audit lines written so far, parsed. */
    List<JsonNode> audit() throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(auditLog())) {
            if (!l.isBlank()) {
                out.add(JSON.readTree(l));
            }
        }
        return out;
    }

    /** The last audit line of {@code method}, if any. */
    java.util.Optional<JsonNode> lastAuditOr(String method) throws IOException {
        List<JsonNode> lines = audit();
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).path("method").asText().equals(method)) {
                return java.util.Optional.of(lines.get(i));
            }
        }
        return java.util.Optional.empty();
    }

    /** The last audit line of {@code method}. */
    JsonNode lastAudit(String method) throws IOException {
        List<JsonNode> lines = audit();
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).path("method").asText().equals(method)) {
                return lines.get(i);
            }
        }
        throw new AssertionError("no audit line for " + method);
    }

    @Override
    public void close() throws IOException {
        stop();
    }
}
