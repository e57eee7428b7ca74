package dev.custody.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code custody ceremony …}: air-gapped key ceremonies through custodyd. {@code prepare} and {@code publish}
 * run against the online daemon (it talks to the Notary server); {@code trust}, {@code root-cert} and
 * {@code sign} against the offline daemon (root keys on its tokens, no server). The bundle file is the only
 * thing carried between the two machines.
 *
 * <p>Part of the {@code custody} command tree: it uses the root's inherited {@code --socket} and
 * {@code -s}; a bundle file is written with {@code --out FILE}.
 */
@Command(
        name = "ceremony",
        mixinStandardHelpOptions = true,
        description = "Air-gapped key ceremonies: prepare (online), sign (offline), publish (online).",
        subcommands = {
            CeremonyCommands.Prepare.class,
            CeremonyCommands.Sign.class,
            CeremonyCommands.Publish.class,
            CeremonyCommands.Trust.class,
            CeremonyCommands.RootCert.class
        })
public final class CeremonyCommands implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return ExitCodes.USAGE;
    }

    /**
     * One ceremony subcommand: a socket call whose failures go through {@link Failure} and {@link ExitCodes}
     * like every other command's; with {@code -o json} it prints custodyd's result (a bundle is still written
     * to its file and left out of the printed JSON).
     */
    abstract static class Base extends CommandBase {
        JsonNode call(String method, ObjectNode params) throws Exception {
            return root().api().protocol().call(method, params);
        }

        /** {@code -s URL|NAME}: the configured Notary server the online daemon uses, or null for its default. */
        String server() {
            return root().server;
        }

        /** Puts {@code server} and {@code serverCaSha256} (from -s and --tlscacert) into {@code p} when given. */
        void putServer(ObjectNode p) {
            if (server() != null) {
                p.put("server", server());
            }
            List<String> ca = root().tlsCaSha256();
            if (ca != null) {
                ca.forEach(p.putArray("serverCaSha256")::add);
            }
        }

        /** Prints {@code result} as JSON without its base64 bundle, adding where the bundle went. */
        void printResult(JsonNode result, Path bundleFile) {
            ObjectNode o = result.deepCopy();
            o.remove("bundle");
            if (bundleFile != null) {
                o.put("file", bundleFile.toString());
            }
            printJson(o);
        }

        void printSummary(JsonNode result) {
            for (JsonNode line : result.path("summary")) {
                out().println("  " + line.asText());
            }
        }

        static byte[] bundleBytes(JsonNode result) {
            return Base64.getDecoder().decode(result.get("bundle").asText());
        }

        static String readBundle(Path file) throws IOException {
            return Base64.getEncoder().encodeToString(Files.readAllBytes(file));
        }
    }

    @Command(
            name = "prepare",
            mixinStandardHelpOptions = true,
            description = {
                "Online. Writes a signing-request bundle for GUN, built on the repository as verified from"
                        + " the server now.",
                "  --rotate root --root-keys K1,K2,K3 --threshold 2   new root keys (IDs, or files with a root certificate)",
                "  --rotate root --replace-lost KEYID --new-key KEY   replace a lost root key (KEY: ID or certificate file)",
                "  --rotate targets|snapshot [--new-key KEYID] [--server-managed]",
                "  --resign-root [--expires-in-days N]                 extend the root's expiry, nothing else",
                "  --init --root-keys CERT1,CERT2 [--threshold K] [--server-managed]",
                "                                        a new repository whose root keys never come online: CERTs from",
                "                                        `ceremony root-cert` on the offline machine"
            })
    static final class Prepare extends Base {
        @Parameters(index = "0", paramLabel = "GUN")
        String gun;

        @Option(names = "--rotate", paramLabel = "ROLE", description = "root, targets or snapshot")
        String rotate;

        @Option(names = "--root-keys", split = ",", paramLabel = "KEY")
        List<String> rootKeys;

        @Option(names = "--threshold", paramLabel = "K")
        Integer threshold;

        @Option(names = "--replace-lost", paramLabel = "KEYID")
        String lost;

        @Option(names = "--new-key", paramLabel = "KEY")
        String newKey;

        @Option(names = "--server-managed", description = "snapshot: hand the key to the server (-r)")
        boolean serverManaged;

        @Option(names = "--resign-root")
        boolean resignRoot;

        @Option(names = "--init", description = "start GUN with root certificates made offline")
        boolean init;

        @Option(names = "--expires-in-days", paramLabel = "N")
        Integer expiresInDays;

        @Option(
                names = "--chain-from",
                paramLabel = "VERSION",
                description = "oldest root version the offline side may trust (default 1)")
        Integer chainFrom;

        @Option(names = "--token", description = "token for a new targets/snapshot key")
        String token;

        @Option(
                names = {"--out"},
                required = true,
                paramLabel = "BUNDLE")
        Path output;

        @Override
        int run() throws Exception {
            JsonNode r = call("ceremony.prepare", params());
            Files.write(output, bundleBytes(r));
            if (json()) {
                printResult(r, output);
                return ExitCodes.OK;
            }
            out().println("Wrote " + output + " (" + r.path("operation").asText()
                    + (init
                            ? ", a new repository, root v"
                                    + r.path("newRootVersion").asInt()
                            : ", root v" + r.path("baseRootVersion").asInt() + " → v"
                                    + r.path("newRootVersion").asInt())
                    + "):");
            printSummary(r);
            out().println("Carry it to the offline machine: custody ceremony sign " + output.getFileName());
            return ExitCodes.OK;
        }

        /** The request: the operation its options name, checked, with its keys and the server options. */
        private ObjectNode params() throws IOException {
            ObjectNode p = JsonNodeFactory.instance.objectNode().put("gun", gun);
            if (init) {
                if (rotate != null || resignRoot) {
                    throw new Failure.UsageException("--init goes with neither --rotate nor --resign-root");
                }
                if (rootKeys == null || rootKeys.isEmpty()) {
                    throw new Failure.UsageException(
                            "--init needs --root-keys CERT,… (files from custody ceremony root-cert)");
                }
                p.put("operation", "init");
                ArrayNode pems = p.putArray("newRootKeys");
                for (String k : rootKeys) {
                    pems.add(Files.readString(RepoCommands.checkReadable(Path.of(k)), StandardCharsets.US_ASCII));
                }
                if (serverManaged) {
                    p.put("serverManaged", true);
                }
            } else if (resignRoot) {
                if (rotate != null) {
                    throw new Failure.UsageException("--resign-root and --rotate do not go together");
                }
                p.put("operation", "resign-root");
            } else if ("root".equals(rotate)) {
                if (lost != null) {
                    p.put("operation", "replace-root-key").put("lostKeyId", lost);
                    if (newKey == null) {
                        throw new Failure.UsageException("--replace-lost needs --new-key");
                    }
                    putKey(p, newKey, "newKeyId", "newKey");
                } else {
                    if (rootKeys == null || rootKeys.isEmpty()) {
                        throw new Failure.UsageException(
                                "--rotate root needs --root-keys (or --replace-lost and --new-key)");
                    }
                    p.put("operation", "rotate-root");
                    ArrayNode ids = p.putArray("newRootKeyIds");
                    ArrayNode pems = p.putArray("newRootKeys");
                    for (String k : rootKeys) {
                        Path f = Path.of(k);
                        if (Files.isRegularFile(f)) {
                            pems.add(Files.readString(f, StandardCharsets.US_ASCII));
                        } else {
                            ids.add(k);
                        }
                    }
                }
            } else if ("targets".equals(rotate) || "snapshot".equals(rotate)) {
                p.put("operation", "rotate-" + rotate);
                if (newKey != null) {
                    p.put("newKeyId", newKey);
                }
                if (serverManaged) {
                    p.put("serverManaged", true);
                }
            } else {
                throw new Failure.UsageException("give --rotate root|targets|snapshot or --resign-root");
            }
            if (threshold != null) {
                p.put("rootThreshold", threshold);
            }
            if (expiresInDays != null) {
                p.put("expiresInDays", expiresInDays);
            }
            if (chainFrom != null) {
                p.put("chainFrom", chainFrom);
            }
            if (token != null) {
                p.put("token", token);
            }
            putServer(p);
            return p;
        }

        private static void putKey(ObjectNode p, String key, String idField, String pemField) throws IOException {
            Path f = Path.of(key);
            if (Files.isRegularFile(f)) {
                p.put(pemField, Files.readString(f, StandardCharsets.US_ASCII));
            } else {
                p.put(idField, key);
            }
        }
    }

    @Command(
            name = "sign",
            mixinStandardHelpOptions = true,
            description = "Offline. Checks BUNDLE against this daemon's trusted root, shows what it changes, waits for"
                    + " approval when policy requires it, and adds signatures with the keys on the tokens present.")
    static final class Sign extends Base {
        @Parameters(index = "0", paramLabel = "BUNDLE")
        Path bundle;

        @Option(
                names = {"--out"},
                paramLabel = "FILE",
                description = "write here instead of over BUNDLE")
        Path output;

        @Option(names = "--gun", description = "the repository this bundle must be for")
        String gun;

        @Option(
                names = "--trust-base",
                description = "no root pinned yet for the GUN: trust the bundle's base root"
                        + " (check its key IDs out of band first)")
        boolean trustBase;

        @Override
        int run() throws Exception {
            ObjectNode p = JsonNodeFactory.instance.objectNode().put("bundle", readBundle(bundle));
            if (gun != null) {
                p.put("gun", gun);
            }
            if (trustBase) {
                p.put("trustBase", true);
            }
            JsonNode r = call("ceremony.sign", p);
            Path to = output == null ? bundle : output;
            Files.write(to, bundleBytes(r));
            if (json()) {
                printResult(r, to);
                return ExitCodes.OK;
            }
            out().println(
                            "init".equals(r.path("operation").asText())
                                    ? "Checked (a new repository: no root is trusted for it yet; check the root keys below are yours):"
                                    : "Checked against trusted root v"
                                            + r.path("trustedRootVersion").asInt() + ":");
            printSummary(r);
            out().println("Signed by: "
                    + (r.path("signedBy").isEmpty()
                            ? "(no key of this daemon counts)"
                            : String.join(", ", JsonText.texts(r.path("signedBy")))));
            for (JsonNode s : r.path("skipped")) {
                out().println("Skipped " + s.path("keyId").asText() + ": "
                        + s.path("reason").asText());
            }
            if (r.path("missing").isEmpty()) {
                out().println("Complete. Carry " + to + " back: custody ceremony publish " + to.getFileName());
            } else {
                out().println("Still missing:");
                JsonText.texts(r.path("missing")).forEach(m -> out().println("  " + m));
            }
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "publish",
            mixinStandardHelpOptions = true,
            description = "Online. Checks every signature in BUNDLE against the server's state now and publishes it.")
    static final class Publish extends Base {
        @Parameters(index = "0", paramLabel = "BUNDLE")
        Path bundle;

        @Option(names = "--gun", description = "the repository this bundle must be for")
        String gun;

        @Override
        int run() throws Exception {
            ObjectNode p = JsonNodeFactory.instance.objectNode().put("bundle", readBundle(bundle));
            if (gun != null) {
                p.put("gun", gun);
            }
            putServer(p);
            JsonNode r = call("ceremony.publish", p);
            if (json()) {
                printResult(r, null);
                return ExitCodes.OK;
            }
            StringBuilder sb = new StringBuilder("Published " + r.path("gun").asText() + ":");
            r.path("roles")
                    .fields()
                    .forEachRemaining(e -> sb.append(' ')
                            .append(e.getKey())
                            .append(" v")
                            .append(e.getValue().asInt()));
            out().println(sb);
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "trust",
            mixinStandardHelpOptions = true,
            description = "Offline. Pins ROOT (a root.json checked out of band) as this daemon's trusted root for GUN.")
    static final class Trust extends Base {
        @Parameters(index = "0", paramLabel = "GUN")
        String gun;

        @Parameters(index = "1", paramLabel = "ROOT")
        Path root;

        @Override
        int run() throws Exception {
            JsonNode r = call(
                    "ceremony.trust",
                    JsonNodeFactory.instance.objectNode().put("gun", gun).put("root", readBundle(root)));
            if (json()) {
                printResult(r, null);
                return ExitCodes.OK;
            }
            out().println("Trusting " + gun + " root v" + r.path("rootVersion").asInt() + ": "
                    + r.path("rootThreshold").asInt() + " of " + String.join(", ", JsonText.texts(r.path("rootKeyIds")))
                    + "; expires " + r.path("expires").asText());
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "root-cert",
            mixinStandardHelpOptions = true,
            description = "Offline. Makes the root certificate of key KEYID for GUN (signed on its token), for"
                    + " `ceremony prepare --new-key FILE` / `--root-keys FILE,…` on the online machine.")
    static final class RootCert extends Base {
        @Parameters(index = "0", paramLabel = "KEYID")
        String keyId;

        @Parameters(index = "1", paramLabel = "GUN")
        String gun;

        @Option(
                names = {"--out"},
                paramLabel = "FILE")
        Path output;

        @Override
        int run() throws Exception {
            JsonNode r = call(
                    "ceremony.rootCert",
                    JsonNodeFactory.instance.objectNode().put("keyId", keyId).put("gun", gun));
            if (output != null) {
                Files.writeString(output, r.path("certificate").asText(), StandardCharsets.US_ASCII);
            }
            if (json()) {
                printResult(r, output);
            } else if (output != null) {
                out().println("Wrote " + output + ": root key "
                        + r.path("keyId").asText());
            } else {
                out().print(r.path("certificate").asText());
            }
            return ExitCodes.OK;
        }
    }
}
