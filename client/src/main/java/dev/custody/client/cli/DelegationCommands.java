package dev.custody.client.cli;

import dev.custody.protocol.DelegationChange;
import dev.custody.protocol.DelegationInfo;
import dev.custody.protocol.DelegationList;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code custody delegation add|remove|list}, as notary's. */
@Command(
        name = "delegation",
        description = "Operates on delegations.",
        subcommands = {
            DelegationCommands.Add.class,
            DelegationCommands.RemoveDelegation.class,
            DelegationCommands.ListDelegations.class
        },
        footer = "  custody delegation list registry.example.com/team/app")
final class DelegationCommands {
    @Command(
            name = "add",
            sortOptions = false,
            description = {
                "Add a keys to delegation using the provided public key X509 certificates.",
                "Offline; online with -p."
            },
            footer = "  custody delegation add registry.example.com/team/app targets/releases jeff.crt --all-paths -p")
    static final class Add extends RoleCommand {
        @Parameters(
                index = "2..*",
                arity = "0..*",
                paramLabel = "KEYFILE",
                description = "PEM public keys or X.509 certificates")
        List<Path> keyFiles = new ArrayList<>();

        @ArgGroup(exclusive = true)
        PathChoice paths;

        static final class PathChoice {
            @Option(names = "--all-paths", description = "Delegate every path")
            boolean all;

            @Option(
                    names = "--paths",
                    split = ",",
                    paramLabel = "PATH",
                    description = "Path prefixes to delegate (repeat or separate with commas)")
            List<String> paths;
        }

        @Mixin
        PublishOption publishing;

        @Override
        int run() throws Exception {
            if (keyFiles.isEmpty() && paths == null) {
                throw new Failure.UsageException("delegation add needs KEYFILE…, --paths or --all-paths");
            }
            List<String> pems = new ArrayList<>();
            for (Path f : keyFiles) {
                pems.add(Files.readString(RepoCommands.checkReadable(f), StandardCharsets.US_ASCII));
            }
            boolean all = paths != null && paths.all;
            List<String> ps = paths == null || paths.paths == null ? List.of() : paths.paths;
            DelegationChange r = api().delegationAdd(gun, role, pems, ps, all, null, publishing.publish);
            if (json()) {
                printJson(r);
                return ExitCodes.OK;
            }
            out().println();
            out().println("Addition of delegation role " + role + " with keys " + r.keyIds() + ", with paths "
                    + pathList(all, ps) + ", to repository \"" + gun + "\" staged for next publish.");
            out().println();
            return publishing.staged(this, gun);
        }
    }

    /** A delegation command's GUN and ROLE. */
    abstract static class RoleCommand extends GunCommand {
        @Parameters(index = "1", paramLabel = "ROLE")
        String role;
    }

    static String pathList(boolean all, List<String> paths) {
        List<String> p = new ArrayList<>();
        if (all) {
            p.add("\"\" <all paths>");
        }
        paths.forEach(x -> p.add(x.isEmpty() ? "\"\" <all paths>" : x));
        return "[" + String.join(" ", p) + "]";
    }

    @Command(
            name = "remove",
            aliases = "rm",
            sortOptions = false,
            description = {
                "Remove KeyID(s) from the specified Role delegation, or the whole role.",
                "Offline; online with -p."
            },
            footer = "  custody delegation remove registry.example.com/team/app targets/jeff -p")
    static final class RemoveDelegation extends RoleCommand {
        @Parameters(index = "2..*", arity = "0..*", paramLabel = "KEYID")
        List<String> keyIds = new ArrayList<>();

        @Option(names = "--paths", split = ",", paramLabel = "PATH", description = "Paths to remove")
        List<String> paths = new ArrayList<>();

        @Mixin
        PublishOption publishing;

        @Override
        int run() throws Exception {
            DelegationChange r = api().delegationRemove(gun, role, keyIds, paths, publishing.publish);
            if (json()) {
                printJson(r);
                return ExitCodes.OK;
            }
            out().println();
            if (keyIds.isEmpty() && paths.isEmpty()) {
                out().println("Removal of delegation role " + role + " to repository \"" + gun
                        + "\" staged for next publish.");
            } else {
                out().println("Removal of delegation role " + role + " with keys " + keyIds + ", with paths " + paths
                        + ", to repository \"" + gun + "\" staged for next publish.");
            }
            out().println();
            return publishing.staged(this, gun);
        }
    }

    @Command(
            name = "list",
            aliases = "ls",
            description = {"Lists delegations for the Global Unique Name.", "Online: read from the Notary server."},
            footer = "  custody delegation list registry.example.com/team/app")
    static final class ListDelegations extends GunCommand {
        @Override
        int run() throws Exception {
            DelegationList r = api().delegationList(gun);
            return report(r, () -> out().print(table(r)));
        }
    }

    /** notary's delegation list: blank line, table, blank line. */
    static String table(DelegationList r) {
        if (r.delegations().isEmpty()) {
            return "\nNo delegations present in this repository.\n\n";
        }
        Table t = new Table("ROLE", "PATHS", "KEY IDS", "THRESHOLD");
        r.delegations().stream()
                .sorted(Comparator.comparing(DelegationInfo::role))
                .forEach(d -> t.row(
                        d.role(),
                        d.paths().stream()
                                .map(p -> p.isEmpty() ? "\"\" <all paths>" : p)
                                .sorted()
                                .collect(Collectors.joining(",")),
                        String.join(",", d.keyIds().stream().sorted().toList()),
                        d.threshold()));
        return "\n" + t.render() + "\n";
    }
}
