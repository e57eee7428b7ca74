package dev.custody.client.cli;

import dev.custody.protocol.BatchTarget;
import dev.custody.protocol.Change;
import dev.custody.protocol.DeleteResult;
import dev.custody.protocol.InitResult;
import dev.custody.protocol.PublishResult;
import dev.custody.protocol.RepoStatus;
import dev.custody.protocol.Staged;
import dev.custody.protocol.TargetInfo;
import dev.custody.protocol.TargetList;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The notary repository commands, with notary 0.7's names, arguments, flags and messages: init,
 * add, addhash, remove, list, lookup, publish, status, reset, verify, witness, delete.
 */
final class RepoCommands {
    /** Targets per {@code repo.addBatch} request: about 300 KiB, well under the 1 MiB line limit. */
    static final int BATCH_PER_REQUEST = 2000;

    private RepoCommands() {}

    /** Prints notary's publish lines after a change made with {@code -p}. */
    static void autoPublished(CommandBase c, String gun) {
        c.out().println("Auto-publishing changes to " + gun);
        c.out().println("Successfully published changes for repository " + gun);
    }

    @Command(
            name = "init",
            sortOptions = false,
            description = {
                "Initializes a local trusted collection.",
                "Offline; online with -p (publishes the new repository). The root key is one on a token"
                        + " (--rootkey), or custodyd generates one."
            },
            footer = "  custody init registry.example.com/team/app --rootkey 1fce6c75b304... -p")
    static final class Init extends CommandBase {
        @Parameters(
                index = "0",
                paramLabel = "GUN",
                description = "Globally unique name, e.g. registry.example.com/team/app")
        String gun;

        @Option(
                names = {"--rootkey", "--root-keys"},
                split = ",",
                paramLabel = "KEYID",
                description = "Root key(s) to use (key IDs on tokens; several, one per token, for a threshold root)")
        List<String> rootKeys = new ArrayList<>();

        @Option(
                names = "--root-threshold",
                paramLabel = "N",
                description = "Signatures needed on root (with several --rootkey)")
        Integer rootThreshold;

        @Option(names = "--server-managed-snapshot", description = "Let the Notary server hold the snapshot key")
        boolean serverSnapshot;

        @Mixin
        PublishOption publishing;

        @Override
        int run() throws Exception {
            InitResult r;
            try (Progress p = progress("initialising " + gun)) {
                r = api().repoInit(gun, rootKeys, rootThreshold, serverSnapshot, publishing.publish);
            }
            if (json()) {
                printJson(r);
                return ExitCodes.OK;
            }
            if (!r.rootKeyIds().isEmpty()) {
                out().println("Root key found, using: " + String.join(", ", r.rootKeyIds()));
            }
            if (r.published()) {
                autoPublished(this, gun);
            } else {
                out().println("Initialized " + gun + "; publish it with: custody publish " + gun);
            }
            return ExitCodes.OK;
        }
    }

    /** {@code -r ROLE} and {@code -p}, shared by the staging commands. */
    abstract static class Staging extends GunCommand {
        @Option(
                names = {"-r", "--roles"},
                paramLabel = "ROLE",
                description = "Delegation role to add the target to (default: targets)")
        String role;

        @Mixin
        PublishOption publishing;

        int reportAddition(Staged s, String gun, String target) {
            if (json()) {
                printJson(s);
                return ExitCodes.OK;
            }
            out().println("Addition of target \"" + target + "\" " + (role == null ? "" : "by role " + role + " ")
                    + "to repository \"" + gun + "\" staged for next publish.");
            return publishing.staged(this, gun);
        }
    }

    @Command(
            name = "add",
            sortOptions = false,
            description = {
                "Adds the file as a target to the trusted collection.",
                "Offline; online with -p. Size, SHA-256 and SHA-512 are computed here; the file is not sent."
                        + " --batch reads 'TARGET SIZE SHA256' lines from FILE, or stdin for -, for many targets at once."
            },
            footer = {
                "  custody add registry.example.com/team/app v1.2 ./app.tar.gz -p",
                "  custody add registry.example.com/team/app --batch - -p < targets.txt",
                "  custody add registry.example.com/team/app --batch targets.txt -r targets/ci -p"
            })
    static final class Add extends Staging {
        @Parameters(index = "1", arity = "0..1", paramLabel = "TARGET", description = "Target name")
        String target;

        @Parameters(index = "2", arity = "0..1", paramLabel = "FILE", description = "File to add")
        Path file;

        @Option(
                names = "--batch",
                paramLabel = "FILE|-",
                description = "Read 'TARGET SIZE SHA256' lines from FILE (- = stdin)")
        String batch;

        @Override
        int run() throws Exception {
            if (batch != null) {
                if (target != null) {
                    throw new Failure.UsageException("--batch takes the targets from its file: give only GUN");
                }
                return addBatch();
            }
            if (target == null || file == null) {
                throw new Failure.UsageException("add needs GUN TARGET FILE, or GUN --batch FILE");
            }
            Digests d;
            try (InputStream in = Files.newInputStream(file)) {
                d = Digests.of(in);
            }
            Staged s;
            try (Progress p = progress(publishing.publish ? "adding and publishing " + target : "adding " + target)) {
                s = api().repoAdd(gun, target, d.length(), d.sha256(), d.sha512(), role, publishing.publish);
            }
            return reportAddition(s, gun, target);
        }

        private int addBatch() throws Exception {
            List<BatchTarget> targets;
            if ("-".equals(batch)) {
                targets = BatchFile.parse(new InputStreamReader(terminal().in(), StandardCharsets.UTF_8), "stdin");
            } else {
                try (Reader r = Files.newBufferedReader(Path.of(batch), StandardCharsets.UTF_8)) {
                    targets = BatchFile.parse(r, batch);
                }
            }
            // one staging transaction however many requests carry it: the parts are kept aside by the daemon and
            // the last one stages them all (and publishes with -p), so a failure or crash in between stages nothing
            List<List<BatchTarget>> chunks = BatchFile.chunks(targets, BATCH_PER_REQUEST);
            Staged last;
            try (Progress p = progress(
                    (publishing.publish ? "staging and publishing " : "staging ") + targets.size() + " targets")) {
                String batchId = null;
                for (int i = 0; i < chunks.size() - 1; i++) {
                    batchId = api().repoAddBatchPart(gun, role, chunks.get(i), batchId)
                            .batchId();
                }
                last = api().repoAddBatch(gun, role, chunks.get(chunks.size() - 1), batchId, publishing.publish);
            }
            if (json()) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("gun", gun);
                r.put("added", targets.size());
                r.put("staged", last.staged());
                r.put("published", publishing.publish);
                printJson(r);
                return ExitCodes.OK;
            }
            out().println("Addition of " + targets.size() + " targets " + (role == null ? "" : "by role " + role + " ")
                    + "to repository \"" + gun + "\" staged for next publish.");
            return publishing.staged(this, gun);
        }
    }

    @Command(
            name = "addhash",
            sortOptions = false,
            description = {
                "Adds the byte size and hash(es) as a target to the trusted collection.",
                "Offline; online with -p."
            },
            footer = "  custody addhash registry.example.com/team/app v1.2 1374 --sha256 e9cec9ae...c63 -p")
    static final class AddHash extends Staging {
        @Parameters(index = "1", paramLabel = "TARGET")
        String target;

        @Parameters(index = "2", paramLabel = "SIZE", description = "Size in bytes")
        long size;

        @Option(names = "--sha256", paramLabel = "HEX", description = "SHA-256 of the target, hex")
        String sha256;

        @Option(names = "--sha512", paramLabel = "HEX", description = "SHA-512 of the target, hex")
        String sha512;

        @Override
        int run() throws Exception {
            if (sha256 == null) {
                throw new Failure.UsageException(
                        sha512 == null
                                ? "addhash needs --sha256 HEX (and optionally --sha512 HEX)"
                                : "custodyd needs --sha256 (TUF targets are listed by SHA-256 in Docker Content Trust)");
            }
            if (size < 0) {
                throw new Failure.UsageException("SIZE must not be negative");
            }
            String h256 = Digests.sha256(sha256, "--sha256");
            String h512 = sha512 == null ? null : Digests.sha512(sha512, "--sha512");
            Staged s;
            try (Progress p = progress("adding " + target)) {
                s = api().repoAdd(gun, target, size, h256, h512, role, publishing.publish);
            }
            return reportAddition(s, gun, target);
        }
    }

    @Command(
            name = "remove",
            aliases = "rm",
            sortOptions = false,
            description = {"Removes a target from a trusted collection.", "Offline; online with -p."},
            footer = "  custody remove registry.example.com/team/app v1.2 -p")
    static final class Remove extends Staging {
        @Parameters(index = "1", paramLabel = "TARGET")
        String target;

        @Override
        int run() throws Exception {
            Staged s;
            try (Progress p = progress("removing " + target)) {
                s = api().repoRemove(gun, target, role, publishing.publish);
            }
            if (json()) {
                printJson(s);
                return ExitCodes.OK;
            }
            out().println("Removal of " + target + " from " + gun + " staged for next publish.");
            return publishing.staged(this, gun);
        }
    }

    @Command(
            name = "list",
            aliases = "ls",
            sortOptions = false,
            description = {
                "Lists targets for a remote trusted collection.",
                "Online: custodyd fetches and verifies the metadata from the Notary server."
            },
            footer = "  custody list registry.example.com/team/app -r targets/releases")
    static final class ListTargets extends GunCommand {
        @Option(
                names = {"-r", "--roles"},
                paramLabel = "ROLE",
                description = "Only the targets of this role")
        String role;

        @Override
        int run() throws Exception {
            TargetList r = api().repoList(gun, role);
            return report(r, () -> out().print(targetsTable(r)));
        }
    }

    /** notary list's table; notary prints "No targets present in this repository." between blank lines. */
    static String targetsTable(TargetList r) {
        if (r.targets().isEmpty()) {
            return "\nNo targets present in this repository.\n\n";
        }
        Table t = new Table("NAME", "DIGEST", "SIZE (BYTES)", "ROLE");
        r.targets().stream()
                .sorted(java.util.Comparator.comparing(TargetInfo::name))
                .forEach(x -> t.row(x.name(), x.sha256(), x.length(), x.role()));
        return t.render();
    }

    @Command(
            name = "lookup",
            sortOptions = false,
            description = {"Looks up a specific target in a remote trusted collection.", "Online."},
            footer = "  custody lookup registry.example.com/team/app v1.2")
    static final class Lookup extends GunCommand {
        @Parameters(index = "1", paramLabel = "TARGET")
        String target;

        @Override
        int run() throws Exception {
            TargetInfo t = api().repoLookup(gun, target);
            return report(t, () -> out().println(t.name() + " sha256:" + t.sha256() + " " + t.length()));
        }
    }

    @Command(
            name = "publish",
            sortOptions = false,
            description = {
                "Publishes the local trusted collection.",
                "Online: signs the staged changes on the tokens and pushes them to the Notary server."
            },
            footer = "  custody publish registry.example.com/team/app")
    static final class Publish extends GunCommand {
        @Override
        int run() throws Exception {
            if (!json()) {
                out().println("Pushing changes to " + gun);
                out().flush();
            }
            PublishResult r;
            try (Progress p = progress("publishing " + gun)) {
                r = api().repoPublish(gun);
            }
            return report(r, () -> out().println("Successfully published changes for repository " + gun));
        }
    }

    @Command(
            name = "status",
            sortOptions = false,
            description = {
                "Displays status of unpublished changes to the local trusted collection.",
                "Offline.",
                "Without GUN: the daemon's status (custody status)."
            },
            footer = "  custody status registry.example.com/team/app")
    static final class Status extends CommandBase {
        @Parameters(index = "0", arity = "0..1", paramLabel = "GUN")
        String gun;

        @Override
        int run() throws Exception {
            if (gun == null) {
                return DaemonCommands.Status.print(this);
            }
            RepoStatus r = api().repoStatus(gun);
            return report(r, () -> out().print(changesTable(r)));
        }
    }

    static String changesTable(RepoStatus r) {
        if (r.changes().isEmpty()) {
            return "No unpublished changes for " + Table.escape(r.gun()) + "\n";
        }
        Table t = new Table("#", "ACTION", "SCOPE", "TYPE", "PATH");
        int i = 0;
        for (Change c : r.changes()) {
            t.row(i++, c.action(), c.scope(), c.type(), c.path());
        }
        return "Unpublished changes for " + Table.escape(r.gun()) + ":\n\n" + t.render();
    }

    @Command(
            name = "reset",
            sortOptions = false,
            description = {"Resets unpublished changes for the local trusted collection.", "Offline."},
            footer = "  custody reset registry.example.com/team/app --all")
    static final class Reset extends GunCommand {
        @Option(names = "--all", description = "Reset all changes (required: custodyd resets everything at once)")
        boolean all;

        @Override
        int run() throws Exception {
            if (!all) {
                throw new Failure.UsageException("reset drops every staged change of " + gun + ": say so with --all");
            }
            var r = api().repoReset(gun);
            return report(r, () -> out().println("Successfully reset specified changes for repository " + gun));
        }
    }

    @Command(
            name = "verify",
            sortOptions = false,
            description = {
                "Verifies if the content is included in the remote trusted collection.",
                "Online. Reads the content on stdin and, when it matches, writes it to stdout."
            },
            footer = "  custody verify registry.example.com/team/app v1.2 < app.tar.gz > /dev/null")
    static final class Verify extends GunCommand {
        @Parameters(index = "1", paramLabel = "TARGET")
        String target;

        @Option(
                names = {"-q", "--quiet"},
                description = "Do not echo the content on success")
        boolean quiet;

        @Override
        int run() throws Exception {
            byte[] content = terminal().in().readAllBytes();
            Digests d = Digests.of(new java.io.ByteArrayInputStream(content));
            TargetInfo t = api().repoLookup(gun, target);
            if (t.length() != d.length() || !t.sha256().equalsIgnoreCase(d.sha256())) {
                throw new Failure.CommandException(
                        ExitCodes.ERROR,
                        "data not present in the trusted collection: " + target
                                + " in " + gun + " is sha256:" + t.sha256() + " (" + t.length()
                                + " bytes), stdin is sha256:"
                                + d.sha256() + " (" + d.length() + " bytes)");
            }
            if (!quiet) {
                terminal().out().flush();
                terminal().rawOut().write(content);
                terminal().rawOut().flush();
            }
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "witness",
            sortOptions = false,
            description = {"Marks roles to be re-signed the next time they're published.", "Offline; online with -p."},
            footer = "  custody witness registry.example.com/team/app targets/releases -p")
    static final class Witness extends GunCommand {
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "ROLE")
        List<String> roles;

        @Mixin
        PublishOption publishing;

        @Override
        int run() throws Exception {
            Staged s = api().repoWitness(gun, roles, publishing.publish);
            if (json()) {
                printJson(s);
                return ExitCodes.OK;
            }
            out().println("The following roles were successfully marked for witnessing on the next publish:");
            roles.forEach(r -> out().println("\t- " + r));
            return publishing.staged(this, gun);
        }
    }

    @Command(
            name = "delete",
            sortOptions = false,
            description = {
                "Deletes all content for a trusted collection.",
                "Offline (local trust data); online with --remote (also deletes it on the Notary server)."
            },
            footer = "  custody delete registry.example.com/team/app --remote")
    static final class Delete extends GunCommand {
        @Option(names = "--remote", description = "Also delete the trust data on the Notary server")
        boolean remote;

        @Override
        int run() throws Exception {
            if (!json()) {
                out().println("Deleting trust data for repository " + gun);
            }
            DeleteResult r = api().repoDelete(gun, remote);
            return report(
                    r,
                    () -> out().println("Successfully deleted local " + (r.remote() ? "and remote " : "")
                            + "trust data for repository " + gun));
        }
    }

    static Path checkReadable(Path p) throws IOException {
        if (!Files.isReadable(p)) {
            throw new java.nio.file.NoSuchFileException(p.toString());
        }
        return p;
    }
}
