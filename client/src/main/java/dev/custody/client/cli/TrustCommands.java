package dev.custody.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.custody.client.api.CustodyApi;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.DelegationInfo;
import dev.custody.protocol.DelegationList;
import dev.custody.protocol.KeyInfo;
import dev.custody.protocol.Methods;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.TargetInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code custody trust …}: docker trust's commands with its names, flags and messages, signing
 * through custodyd. Image names map to GUNs as docker maps them ({@link ImageReference}).
 */
@Command(
        name = "trust",
        description = {
            "Manage trust on Docker images, as docker trust does, with keys on tokens.",
            "The Notary server is custodyd's default, or the one DOCKER_CONTENT_TRUST_SERVER (or -s) names by URL or by"
                    + " its name in custodyd's config; custodyd refuses servers its config does not list."
        },
        subcommands = {
            TrustCommands.Key.class,
            TrustCommands.Signer.class,
            TrustCommands.Inspect.class,
            TrustCommands.Revoke.class,
            TrustCommands.Sign.class
        },
        footer = "  custody trust inspect --pretty registry.example.com/admin/demo")
final class TrustCommands {
    static final String RELEASES = "targets/releases";

    @Command(
            name = "key",
            description = "Manage keys for signing Docker images.",
            subcommands = {Key.Generate.class, Key.Load.class},
            footer = "  custody trust key generate jeff --dir ~/keys")
    static final class Key {
        @Command(
                name = "generate",
                sortOptions = false,
                description = {"Generate a signer key on a token and write its public key to NAME.pub.", "Offline."},
                footer = "  custody trust key generate jeff --dir ~/keys")
        static final class Generate extends CommandBase {
            @Parameters(index = "0", paramLabel = "NAME")
            String name;

            @Option(names = "--dir", paramLabel = "DIR", description = "Directory for NAME.pub (default: current)")
            Path dir = Path.of(".");

            @Option(names = "--token", paramLabel = "TOKEN", description = "Token to generate it on")
            String token;

            @Override
            int run() throws Exception {
                if (!name.matches("[a-z0-9][a-z0-9_.-]*")) {
                    throw new Failure.UsageException(
                            "key name \"" + name + "\" must use only lower case letters, digits, _ . -");
                }
                Path pub = dir.resolve(name + ".pub");
                if (Files.exists(pub)) {
                    throw new Failure.CommandException(
                            ExitCodes.ERROR, "public key file already exists: \"" + pub + "\"");
                }
                if (!json()) {
                    out().println("Generating key for " + name + "...");
                }
                KeyInfo k = api().keyGenerate(name, null, token, "ecdsa");
                if (k.publicKey() == null) {
                    throw new Failure.CommandException(
                            ExitCodes.UNSUPPORTED,
                            "generated key " + k.keyId() + " on " + KeyCommands.location(k)
                                    + " but custodyd did not send its public key, so " + pub + " was not written");
                }
                Files.writeString(
                        pub,
                        k.publicKey().endsWith("\n") ? k.publicKey() : k.publicKey() + "\n",
                        StandardCharsets.US_ASCII);
                return report(
                        k,
                        () -> out().println(
                                        "Successfully generated and loaded private key. Corresponding public key available: "
                                                + pub.toAbsolutePath().normalize()));
            }
        }

        @Command(
                name = "load",
                sortOptions = false,
                description = {
                    "Load a private key file onto a token for signing.",
                    "Offline. The file stays: delete it" + " yourself."
                },
                footer = "  custody trust key load delegation.key --name jeff")
        static final class Load extends CommandBase {
            @Parameters(index = "0", paramLabel = "FILE")
            Path file;

            @Option(names = "--name", paramLabel = "NAME", description = "Name for the loaded key (default: signer)")
            String name = "signer";

            @Option(names = "--token", paramLabel = "TOKEN")
            String token;

            @Option(names = "--passphrase-stdin", description = "Read an encrypted key's passphrase from stdin")
            boolean passphraseStdin;

            @Override
            int run() throws Exception {
                if (!json()) {
                    out().println("Loading key from \"" + file + "\"...");
                }
                String pem = Files.readString(RepoCommands.checkReadable(file), StandardCharsets.US_ASCII);
                char[] pass = pem.contains("ENCRYPTED")
                        ? Secrets.read(
                                terminal(), "Passphrase for " + file + ": ", passphraseStdin, "--passphrase-stdin")
                        : null;
                KeyInfo k = api().keyImport(pem, pass, name, null, token);
                return report(k, () -> {
                    out().println("Successfully imported key from " + file);
                    out().println(
                                    k.softwareCopyNote() != null
                                            ? k.softwareCopyNote()
                                            : "The file " + file + " still holds a software copy: delete it yourself.");
                });
            }
        }
    }

    @Command(
            name = "signer",
            description = "Manage entities who can sign Docker images.",
            subcommands = {Signer.AddSigner.class, Signer.RemoveSigner.class},
            footer = "  custody trust signer add --key jeff.pub jeff registry.example.com/admin/demo")
    static final class Signer {
        @Command(
                name = "add",
                sortOptions = false,
                description = {
                    "Add a signer to repositories (targets/NAME and targets/releases), initialising them if needed.",
                    "Online."
                },
                footer = "  custody trust signer add --key jeff.pub jeff registry.example.com/admin/demo")
        static final class AddSigner extends CommandBase {
            @Option(
                    names = "--key",
                    required = true,
                    paramLabel = "FILE",
                    description = "Public key or certificate (repeatable)")
            List<Path> keys = new ArrayList<>();

            @Parameters(index = "0", paramLabel = "NAME")
            String name;

            @Parameters(index = "1..*", arity = "1..*", paramLabel = "REPOSITORY")
            List<String> repos;

            @Override
            int run() throws Exception {
                if (name.startsWith("targets/") || name.equals("releases") || !name.matches("[a-z0-9][a-z0-9_.-]*")) {
                    throw new Failure.UsageException("signer name \"" + name
                            + "\" must be lower case letters, digits, _ . -" + " and not 'releases'");
                }
                List<String> pems = new ArrayList<>();
                for (Path k : keys) {
                    pems.add(Files.readString(RepoCommands.checkReadable(k), StandardCharsets.US_ASCII));
                }
                int status = ExitCodes.OK;
                for (String repo : repos) {
                    ImageReference ref = ImageReference.parse(repo);
                    out().println("Adding signer \"" + name + "\" to " + repo + "...");
                    try {
                        ensureInitialised(this, ref.gun(), repo);
                        api().delegationAdd(ref.gun(), "targets/" + name, pems, List.of(), true, null, false);
                        api().delegationAdd(ref.gun(), RELEASES, pems, List.of(), true, null, true);
                        out().println("Successfully added signer: " + name + " to " + repo);
                    } catch (CustodyException e) {
                        Failure f = Failure.of(e, root().socketPath(), "custody");
                        terminal().err().println("custody: " + f.line());
                        out().println();
                        out().println("Failed to add signer to: " + repo);
                        status = status == ExitCodes.OK ? f.exitCode() : status;
                    }
                }
                return status;
            }
        }

        @Command(
                name = "remove",
                sortOptions = false,
                description = {"Remove a signer from repositories.", "Online."},
                footer = "  custody trust signer remove ben registry.example.com/admin/demo")
        static final class RemoveSigner extends CommandBase {
            @Parameters(index = "0", paramLabel = "NAME")
            String name;

            @Parameters(index = "1..*", arity = "1..*", paramLabel = "REPOSITORY")
            List<String> repos;

            @Option(
                    names = {"-f", "--force"},
                    description = "Do not ask when removing the last releases signer")
            boolean force;

            @Override
            int run() throws Exception {
                int status = ExitCodes.OK;
                for (String repo : repos) {
                    ImageReference ref = ImageReference.parse(repo);
                    out().println("Removing signer \"" + name + "\" from " + repo + "...");
                    try {
                        DelegationList d = api().delegationList(ref.gun());
                        Optional<DelegationInfo> role = d.delegations().stream()
                                .filter(x -> x.role().equals("targets/" + name))
                                .findFirst();
                        if (role.isEmpty()) {
                            throw new NotFoundException(
                                    "role", "targets/" + name, "No signer " + name + " for repository " + repo);
                        }
                        Set<String> others = new TreeSet<>();
                        d.delegations().stream()
                                .filter(x ->
                                        !x.role().equals(RELEASES) && !x.role().equals("targets/" + name))
                                .forEach(x -> others.addAll(x.keyIds()));
                        List<String> drop = role.get().keyIds().stream()
                                .filter(k -> !others.contains(k))
                                .toList();
                        if (!drop.isEmpty()
                                && d.delegations().stream()
                                        .anyMatch(x -> x.role().equals(RELEASES))) {
                            api().delegationRemove(ref.gun(), RELEASES, drop, List.of(), false);
                        }
                        api().delegationRemove(ref.gun(), "targets/" + name, List.of(), List.of(), true);
                        out().println("Successfully removed " + name + " from " + repo);
                    } catch (CustodyException e) {
                        Failure f = Failure.of(e, root().socketPath(), "custody");
                        terminal().err().println("custody: " + f.line());
                        status = status == ExitCodes.OK ? f.exitCode() : status;
                    }
                }
                return status;
            }
        }
    }

    /** Initialises {@code gun} the way docker does for a new signed repository, unless it exists. */
    static void ensureInitialised(CommandBase c, String gun, String shown) throws Exception {
        try {
            c.api().delegationList(gun);
        } catch (NotFoundException e) {
            c.out().println("Initializing signed repository for " + shown + "...");
            c.api().repoInit(gun, null, null, true, true);
            c.out().println("Successfully initialized \"" + shown + "\"");
        }
    }

    @Command(
            name = "inspect",
            sortOptions = false,
            description = {
                "Return low-level information about keys and signatures.",
                "Online: read from the Notary server and verified by custodyd. Same JSON and --pretty tables as docker."
            },
            footer = "  custody trust inspect --pretty registry.example.com/admin/demo:1")
    static final class Inspect extends CommandBase {
        @Option(names = "--pretty", description = "Print the information in a human friendly format")
        boolean pretty;

        @Parameters(index = "0..*", arity = "1..*", paramLabel = "IMAGE[:TAG]")
        List<String> images;

        @Override
        int run() throws Exception {
            List<TrustView> views = new ArrayList<>();
            int status = ExitCodes.OK;
            for (String image : images) {
                ImageReference ref = ImageReference.parse(image);
                try {
                    views.add(view(api(), ref));
                } catch (NotFoundException e) {
                    if ("server".equals(e.kind())) {
                        throw e; // the Notary server named by -s or DOCKER_CONTENT_TRUST_SERVER is not one custodyd has
                    }
                    terminal().err().println("No signatures or cannot access " + image);
                    status = ExitCodes.ERROR;
                }
            }
            if (pretty) {
                for (int i = 0; i < views.size(); i++) {
                    out().print(
                                    i == 0
                                            ? views.get(i).pretty()
                                            : "\n\n" + views.get(i).pretty()); // docker's separator
                }
            } else {
                ArrayNode a = JsonNodeFactory.instance.arrayNode();
                views.forEach(v -> a.add(CustodyApi.mapper().valueToTree(v)));
                out().println(JsonText.indent(a, "    "));
            }
            return status;
        }
    }

    static TrustView view(CustodyApi api, ImageReference ref) throws Exception {
        List<TargetInfo> targets = new ArrayList<>(ownTargets(api, ref.gun(), "targets"));
        JsonNode raw = api.protocol()
                .call(
                        Methods.DELEGATION_LIST,
                        JsonNodeFactory.instance.objectNode().put("gun", ref.gun()));
        DelegationList d = CustodyApi.mapper().treeToValue(raw, DelegationList.class);
        for (DelegationInfo role : d.delegations()) { // breadth first, as notary walks them
            targets.addAll(ownTargets(api, ref.gun(), role.role()));
        }
        List<String> root = JsonText.texts(raw.path("rootKeyIds"));
        List<String> repoKeys = JsonText.texts(raw.path("targetsKeyIds"));
        if (repoKeys.isEmpty()) {
            repoKeys = api.keyList(ref.gun()).stream()
                    .filter(k -> "targets".equals(k.role()) && ref.gun().equals(k.gun()))
                    .map(KeyInfo::keyId)
                    .toList();
        }
        return TrustView.of(ref.original(), ref.tag(), targets, d.delegations(), root, repoKeys);
    }

    /**
     * The targets {@code role} itself lists ({@code repo.list} from a role walks its delegations too and
     * keeps one entry per name; the role's own come first). None when the role has no metadata yet.
     */
    private static List<TargetInfo> ownTargets(CustodyApi api, String gun, String role) throws Exception {
        try {
            return api.repoList(gun, role).targets().stream()
                    .filter(t -> role.equals(t.role()))
                    .toList();
        } catch (NotFoundException e) {
            if ("role".equals(e.kind()) && !role.equals("targets")) {
                return List.of();
            }
            throw e;
        }
    }

    @Command(
            name = "revoke",
            sortOptions = false,
            description = {"Remove trust for an image: its tag's signatures, or all of the repository's.", "Online."},
            footer = "  custody trust revoke registry.example.com/admin/demo:1")
    static final class Revoke extends CommandBase {
        @Parameters(index = "0", paramLabel = "IMAGE[:TAG]")
        String image;

        @Option(
                names = {"-y", "--yes"},
                description = "Do not prompt for confirmation")
        boolean yes;

        @Override
        int run() throws Exception {
            ImageReference ref = ImageReference.parse(image);
            if (ref.tag() == null && !yes) {
                if (!terminal().interactive()) {
                    throw new Failure.UsageException(
                            "revoking every signature of " + image + " needs --yes off a terminal");
                }
                String a = terminal()
                        .console()
                        .get()
                        .readLine("Please confirm you would like to delete all signature data for %s? [y/N] ", image);
                if (a == null || !a.strip().toLowerCase(java.util.Locale.ROOT).startsWith("y")) {
                    out().println("\nAborting action.");
                    return ExitCodes.OK;
                }
            }
            // repo.list without a role gives each name once (the first role found); docker removes the tag from
            // every role the signer can write (targets/releases and targets/<signer>), so those are listed too.
            List<TargetInfo> targets =
                    new ArrayList<>(api().repoList(ref.gun(), null).targets());
            for (String role : signerRoles(api(), ref.gun())) {
                api().repoList(ref.gun(), role).targets().stream()
                        .filter(t -> role.equals(t.role()))
                        .forEach(targets::add);
            }
            Set<String> done = new LinkedHashSet<>();
            for (TargetInfo t : targets) {
                if ((ref.tag() == null || ref.tag().equals(t.name())) && done.add(t.role() + "\0" + t.name())) {
                    api().repoRemove(ref.gun(), t.name(), t.role(), false);
                }
            }
            if (done.isEmpty()) {
                throw new Failure.CommandException(
                        ExitCodes.NOT_FOUND,
                        "No signature for " + image
                                + (ref.tag() == null ? "" : ": tag " + ref.tag() + " is not signed"));
            }
            try (Progress p = progress("publishing " + ref.gun())) {
                api().repoPublish(ref.gun());
            }
            out().println(
                            ref.tag() == null
                                    ? "Successfully deleted all signature data for " + image
                                    : "Successfully deleted signature for " + image);
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "sign",
            sortOptions = false,
            description = {
                "Sign an image: its manifest digest and size, read from the registry (Registry HTTP API v2,"
                        + " no docker engine needed), go into every delegation role this caller holds a key for"
                        + " (targets/releases and targets/<signer>), or the targets role if none.",
                "Online."
            },
            footer = {
                "  custody trust sign registry.example.com/admin/demo:1",
                "  echo \"$TOKEN\" | custody trust sign --registry-user ci --registry-password-stdin reg.example.com/app:1.2"
            })
    static final class Sign extends CommandBase {
        @Parameters(index = "0", paramLabel = "IMAGE:TAG")
        String image;

        @Option(
                names = "--registry-ca",
                paramLabel = "FILE",
                description = "CA of the registry (default: /etc/docker/certs.d/HOST/ca.crt if present)")
        Path registryCa;

        @Option(
                names = "--registry-user",
                paramLabel = "USER",
                description = "Registry user (default: docker login's, from config.json)")
        String registryUser;

        @Option(names = "--registry-password-stdin", description = "Read the registry password from stdin")
        boolean passwordStdin;

        @Option(names = "--registry-http", description = "Plain HTTP registry (loopback registries fall back to it)")
        boolean plainHttp;

        @Option(
                names = {"-r", "--role"},
                paramLabel = "ROLE",
                description = "Sign into this role instead (repeatable)")
        List<String> roles = new ArrayList<>();

        @Override
        int run() throws Exception {
            ImageReference ref = ImageReference.parse(image);
            if (ref.tag() == null) {
                throw new Failure.UsageException("trust sign needs a tag: " + image + ":TAG");
            }
            Optional<Registry.Credentials> creds;
            if (registryUser != null) {
                char[] pw = Secrets.read(
                        terminal(),
                        "Password for " + registryUser + "@" + ref.registry() + ": ",
                        passwordStdin,
                        "--registry-password-stdin");
                creds = Optional.of(new Registry.Credentials(registryUser, new String(pw)));
                java.util.Arrays.fill(pw, '\0');
            } else {
                creds = Registry.fromDockerConfig(terminal().env(), ref.registry());
            }
            Path ca = registryCa;
            if (ca == null) {
                Path d = Path.of("/etc/docker/certs.d", ref.registry(), "ca.crt");
                ca = Files.isReadable(d) ? d : null;
            }
            Registry registry = new Registry(Optional.ofNullable(ca), creds, plainHttp);
            Registry.Manifest m = registry.resolve(ref);
            out().println("Signing and pushing trust data for " + image + ", may overwrite remote trust data");
            out().println(ref.tag() + ": digest: sha256:" + m.sha256() + " size: " + m.size());
            List<String> into = roles.isEmpty() ? signingRoles(this, ref) : roles;
            out().println("Signing and pushing trust metadata");
            for (int i = 0; i < into.size(); i++) {
                String role = into.get(i).equals("targets") ? null : into.get(i);
                api().repoAdd(ref.gun(), ref.tag(), m.size(), m.sha256(), null, role, false);
            }
            try (Progress p = progress("publishing " + ref.gun())) {
                api().repoPublish(ref.gun());
            }
            out().println("Successfully signed " + image);
            return ExitCodes.OK;
        }
    }

    /** The delegation roles holding one of the caller's keys (none when the repository has no delegations). */
    static List<String> signerRoles(CustodyApi api, String gun) throws Exception {
        Set<String> mine = new TreeSet<>();
        api.keyList(null).forEach(k -> mine.add(k.keyId()));
        return api.delegationList(gun).delegations().stream()
                .filter(x -> x.keyIds().stream().anyMatch(mine::contains))
                .map(DelegationInfo::role)
                .sorted()
                .toList();
    }

    /**
     * The roles {@code trust sign} writes to: every delegation holding one of the caller's keys
     * (targets/releases first), else {@code targets}. A repository that does not exist yet is
     * initialised first, as docker does.
     */
    static List<String> signingRoles(CommandBase c, ImageReference ref) throws Exception {
        DelegationList d;
        try {
            d = c.api().delegationList(ref.gun());
        } catch (NotFoundException e) {
            c.out().println("Initializing signed repository for " + ref.nameAsWritten() + "...");
            c.api().repoInit(ref.gun(), null, null, true, false);
            return List.of("targets");
        }
        Set<String> mine = new TreeSet<>();
        c.api().keyList(null).forEach(k -> mine.add(k.keyId()));
        List<String> roles = new ArrayList<>();
        d.delegations().stream()
                .filter(x -> x.keyIds().stream().anyMatch(mine::contains))
                .map(DelegationInfo::role)
                .sorted((a, b) -> a.equals(RELEASES) ? -1 : b.equals(RELEASES) ? 1 : a.compareTo(b))
                .forEach(roles::add);
        return roles.isEmpty() ? List.of("targets") : roles;
    }
}
