package dev.custody.client.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Hidden commands that write shell completion and the man page from the command definitions, so
 * neither can drift from the commands: {@code custody gen-man > custody.1},
 * {@code custody gen-completion bash > /etc/bash_completion.d/custody}.
 */
final class GenerateCommands {
    private GenerateCommands() {}

    @Command(
            name = "gen-completion",
            hidden = true,
            description = {"Prints a completion script for bash or zsh.", "Offline."},
            footer = {
                "  source <(custody gen-completion bash)",
                "  custody gen-completion zsh > \"${fpath[1]}/_custody\""
            })
    static final class Completion extends CommandBase {
        @Parameters(index = "0", arity = "0..1", paramLabel = "SHELL", description = "bash (default) or zsh")
        String shell = "bash";

        @Override
        int run() {
            if (!List.of("bash", "zsh").contains(shell)) {
                throw new Failure.UsageException("completion is generated for bash and zsh, not " + shell);
            }
            // picocli's script serves both: under zsh it loads bashcompinit first.
            out().print(AutoComplete.bash("custody", spec.root().commandLine()));
            return ExitCodes.OK;
        }
    }

    @Command(
            name = "gen-man",
            hidden = true,
            description = {"Prints the custody(1) man page (roff).", "Offline."},
            footer = "  custody gen-man | man -l -")
    static final class ManPage extends CommandBase {
        @Option(names = "--dir", paramLabel = "DIR", description = "Write DIR/custody.1 instead of printing")
        Path dir;

        @Override
        int run() throws IOException {
            String page = render(spec.root().commandLine(), LocalDate.now(ZoneOffset.UTC));
            if (dir == null) {
                out().print(page);
            } else {
                Files.createDirectories(dir);
                Files.writeString(dir.resolve("custody.1"), page, StandardCharsets.UTF_8);
            }
            return ExitCodes.OK;
        }

        /** custody(1): every visible command with its synopsis, description, options and example. */
        static String render(CommandLine root, LocalDate date) {
            StringBuilder r = new StringBuilder();
            CommandSpec spec = root.getCommandSpec();
            r.append(".TH CUSTODY 1 \"")
                    .append(date)
                    .append("\" \"")
                    .append(new VersionProvider().getVersion()[0])
                    .append("\" \"Custody Manual\"\n");
            r.append(".SH NAME\ncustody \\- ")
                    .append(esc(spec.usageMessage().description()[0]))
                    .append('\n');
            r.append(".SH SYNOPSIS\n.B custody\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n");
            r.append(".SH DESCRIPTION\n");
            for (String l : spec.usageMessage().description()) {
                r.append(esc(l)).append('\n');
            }
            r.append(".SH GLOBAL OPTIONS\n");
            options(r, spec);
            r.append(".SH COMMANDS\n");
            for (Map.Entry<String, CommandLine> e : root.getSubcommands().entrySet()) {
                command(r, e.getValue(), e.getKey());
            }
            r.append(".SH EXIT STATUS\n");
            for (String l : ExitCodes.helpTable()) {
                r.append(".TP\n.B ")
                        .append(l.strip().split("\\s+", 2)[0])
                        .append('\n')
                        .append(esc(l.strip().split("\\s+", 2)[1]))
                        .append('\n');
            }
            r.append(".SH ENVIRONMENT\n.TP\n.B CUSTODY_SOCKET\ncustodyd's socket when --socket is not given"
                    + " (default /run/custody/custody.sock).\n.TP\n.B DOCKER_CONFIG\nwhere trust sign reads registry"
                    + " credentials (config.json).\n");
            r.append(".SH SECURITY\nPINs and passphrases are never read from the command line: custody prompts without"
                    + " echo, or reads one line of stdin with \\-\\-pin\\-stdin / \\-\\-passphrase\\-stdin.\n");
            r.append(".SH SEE ALSO\n.BR notary (1),\n.BR docker-trust (1),\n.BR custodyd (8)\n");
            return r.toString();
        }

        private static void command(StringBuilder r, CommandLine cl, String name) {
            CommandSpec s = cl.getCommandSpec();
            if (s.usageMessage().hidden() || !s.name().equals(name)) {
                return; // aliases are listed with their command
            }
            r.append(".SS ")
                    .append(esc(s.qualifiedName().substring("custody ".length())))
                    .append('\n');
            String synopsis = cl.getHelp().synopsis(0).strip();
            r.append(".nf\n").append(esc(synopsis)).append("\n.fi\n");
            for (String l : s.usageMessage().description()) {
                r.append(esc(l)).append("\n.br\n");
            }
            if (s.aliases().length > 0) {
                r.append("Alias: ").append(esc(String.join(", ", s.aliases()))).append("\n.br\n");
            }
            for (PositionalParamSpec p : s.positionalParameters()) {
                if (p.description().length > 0) {
                    r.append(".TP\n.I ")
                            .append(esc(p.paramLabel()))
                            .append('\n')
                            .append(esc(String.join(" ", p.description())))
                            .append('\n');
                }
            }
            options(r, s);
            if (s.usageMessage().footer().length > 0) {
                r.append(".PP\nExample:\n.nf\n");
                for (String l : s.usageMessage().footer()) {
                    r.append(esc(l.strip())).append('\n');
                }
                r.append(".fi\n");
            }
            for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
                command(r, e.getValue(), e.getKey());
            }
        }

        private static void options(StringBuilder r, CommandSpec s) {
            for (OptionSpec o : s.options()) {
                if (o.hidden() || (o.inherited())) {
                    continue;
                }
                r.append(".TP\n.B ").append(esc(String.join(", ", o.names())));
                if (o.typeInfo().isBoolean()) {
                    r.append('\n');
                } else {
                    r.append(" \\fI").append(esc(o.paramLabel())).append("\\fR\n");
                }
                r.append(esc(String.join(" ", o.description()))).append('\n');
            }
        }

        static String esc(String s) {
            String e = s.replace("\\", "\\\\").replace("-", "\\-");
            return e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e;
        }
    }
}
