package dev.custody.client.cli;

import dev.custody.client.api.CustodyApi;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * Entry point of {@code custody}. Parses, runs one command, and turns every failure into one line
 * on stderr and a documented exit status ({@link ExitCodes}, {@link Failure}).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        StartupTrace.mark("main");
        int status = run(args, Terminal.system(), CONNECT);
        System.out.flush();
        System.exit(status);
    }

    /**
     * System properties that keep a short command short, set unless already set (so the tests and the
     * training run take the same path as the command line). Its classes come from the class-data archive
     * (bin/custody), but two look-ups would still open and index every jar on the class path, a tenth of
     * {@code custody status}: picocli's optional Groovy support looks for {@code groovy.lang.Closure}
     * (picocli's documented switch turns it off), and the JDK looks for a {@code SelectorProvider}
     * service before taking its default, which is named here on Linux (when this JDK has it). And
     * picocli's converters for {@code java.time} and {@code java.sql} types, which no custody option
     * has, are left out (picocli's documented exclusion): registering them initialises those packages.
     */
    static void quickStartProperties() {
        setIfAbsent("picocli.disable.closures", "true");
        setIfAbsent("picocli.converters.excludes", "java\\.time\\..*,java\\.sql\\..*");
        String epoll = "sun.nio.ch.EPollSelectorProvider";
        if ("Linux".equals(System.getProperty("os.name"))) {
            try {
                Class.forName(epoll, false, null); // the JDK's default on Linux; not loaded twice
                setIfAbsent("java.nio.channels.spi.SelectorProvider", epoll);
            } catch (ClassNotFoundException | LinkageError e) {
                // another JDK: its default is found the usual way
            }
        }
    }

    private static void setIfAbsent(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    /**
     * Runs {@code custody args} in this JVM, as the command line would, with {@code env} as its
     * environment and no terminal (for embedding and tests); returns the exit status.
     */
    public static int run(
            String[] args, java.util.Map<String, String> env, java.io.PrintWriter out, java.io.PrintWriter err) {
        Terminal t = new Terminal(
                out,
                err,
                java.io.OutputStream.nullOutputStream(),
                java.io.InputStream.nullInputStream(),
                java.util.Map.copyOf(env),
                java.util.Optional.empty());
        return run(args, t, CONNECT);
    }

    /**
     * {@link CustodyApi#connect(java.nio.file.Path)}, as a class: a method reference would link the JDK's
     * lambda machinery on every start, which {@code custody status} otherwise does not need.
     */
    private static final CustodyCommand.ApiOpener CONNECT = new CustodyCommand.ApiOpener() {
        @Override
        public CustodyApi open(java.nio.file.Path socket) throws dev.custody.protocol.DaemonUnavailableException {
            return CustodyApi.connect(socket);
        }
    };

    /** Runs {@code custody args}; returns the exit status. */
    static int run(String[] args, Terminal terminal, CustodyCommand.ApiOpener opener) {
        quickStartProperties();
        String pinOnArgv = findPinArgument(args);
        if (pinOnArgv != null) {
            terminal.err()
                    .println("custody: " + pinOnArgv + " is refused: a PIN on the command line shows in ps and shell"
                            + " history; custody prompts for it, or reads it from stdin with --pin-stdin");
            return ExitCodes.USAGE;
        }
        if (QuickStatus.applies(args)) {
            return QuickStatus.run(terminal, opener);
        }
        CustodyCommand root = new CustodyCommand(terminal, opener);
        CommandLine cl = commandLine(root, versionOnly(args) ? ROOT_ONLY : commandNamed(args));
        StartupTrace.mark("command models built");
        cl.setOut(terminal.out());
        cl.setErr(terminal.err());
        cl.setParameterExceptionHandler(new UsageErrors(terminal));
        cl.setExecutionExceptionHandler(new Failures(root, terminal));
        try {
            return cl.execute(args);
        } finally {
            root.closeApi();
            terminal.out().flush();
            terminal.err().flush();
            StartupTrace.mark("done");
        }
    }

    /*
     * The two handlers are classes, not lambdas: picocli's interfaces are Java 5 class files, and a
     * lambda implementing one is left out of the class-data archive together with the interface, which
     * then costs every start a search through the jars (bin/custody).
     */

    /** A parse error: one line and the command's --help. */
    private static final class UsageErrors implements picocli.CommandLine.IParameterExceptionHandler {
        private final Terminal terminal;

        UsageErrors(Terminal terminal) {
            this.terminal = terminal;
        }

        @Override
        public int handleParseException(ParameterException e, String[] args) {
            String name = e.getCommandLine().getCommandSpec().qualifiedName();
            terminal.err().println("custody: " + describe(e) + " (see " + name + " --help)");
            return ExitCodes.USAGE;
        }
    }

    /** A failed command: its {@link Failure} line (and with -D the stack trace) and exit status. */
    private static final class Failures implements picocli.CommandLine.IExecutionExceptionHandler {
        private final CustodyCommand root;
        private final Terminal terminal;

        Failures(CustodyCommand root, Terminal terminal) {
            this.root = root;
            this.terminal = terminal;
        }

        @Override
        public int handleExecutionException(
                Exception ex, CommandLine sub, picocli.CommandLine.ParseResult parseResult) {
            Failure f = Failure.of(ex, root.socketPath(), socketGroup(root.socketPath()));
            terminal.err().println("custody: " + f.line());
            if (root.debug) {
                ex.printStackTrace(terminal.err());
            }
            return f.exitCode();
        }
    }

    /** The whole command tree: help, completion and the man page need it. */
    static CommandLine commandLine(CustodyCommand root) {
        return commandLine(root, null);
    }

    /** For {@link #commandLine(CustodyCommand, Class)}: the root command alone ({@code custody --version}). */
    static final Class<?> ROOT_ONLY = CustodyCommand.class;

    /** The root with every command, or with {@code only} when it is given ({@link #ROOT_ONLY}: none). */
    static CommandLine commandLine(CustodyCommand root, Class<?> only) {
        CommandLine cl = new CommandLine(root);
        StartupTrace.mark("root command model built");
        for (Class<?> c : CustodyCommand.COMMANDS) {
            if (only == null || only == c) {
                cl.addSubcommand(new CommandLine(c));
            }
        }
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpLongOptionsMaxWidth(28);
        exampleHeadings(cl);
        return cl;
    }

    /**
     * A command's own footer is its example(s): each gets "Example:" (one line) or "Examples:" above it,
     * here once instead of in every command's annotation. The root's footer (exit status and examples,
     * which commands without a footer of their own inherit, with its heading) is left as it is.
     */
    private static void exampleHeadings(CommandLine root) {
        picocli.CommandLine.Model.UsageMessageSpec top = root.getCommandSpec().usageMessage();
        java.util.ArrayDeque<CommandLine> todo =
                new java.util.ArrayDeque<>(root.getSubcommands().values());
        while (!todo.isEmpty()) {
            CommandLine c = todo.pop();
            picocli.CommandLine.Model.UsageMessageSpec usage =
                    c.getCommandSpec().usageMessage();
            if (usage.footer().length > 0 && !java.util.Arrays.equals(usage.footer(), top.footer())) {
                usage.footerHeading(usage.footer().length == 1 ? "%nExample:%n" : "%nExamples:%n");
            }
            todo.addAll(c.getSubcommands().values());
        }
    }

    /**
     * The top-level commands by name and alias, so that choosing the one to build reads no annotations
     * (reading every command's costs a short command more than building it). Hidden commands need the
     * whole tree and are not here. Checked against the annotations by MainStartupTest; a name missing
     * here is still found, by reading them.
     */
    static final Map<String, Class<?>> COMMAND_NAMES = Map.ofEntries(
            Map.entry("init", RepoCommands.Init.class),
            Map.entry("add", RepoCommands.Add.class),
            Map.entry("addhash", RepoCommands.AddHash.class),
            Map.entry("remove", RepoCommands.Remove.class),
            Map.entry("rm", RepoCommands.Remove.class),
            Map.entry("list", RepoCommands.ListTargets.class),
            Map.entry("ls", RepoCommands.ListTargets.class),
            Map.entry("lookup", RepoCommands.Lookup.class),
            Map.entry("publish", RepoCommands.Publish.class),
            Map.entry("status", RepoCommands.Status.class),
            Map.entry("reset", RepoCommands.Reset.class),
            Map.entry("verify", RepoCommands.Verify.class),
            Map.entry("witness", RepoCommands.Witness.class),
            Map.entry("delete", RepoCommands.Delete.class),
            Map.entry("adopt", AdoptCommand.class),
            Map.entry("key", KeyCommands.class),
            Map.entry("delegation", DelegationCommands.class),
            Map.entry("trust", TrustCommands.class),
            Map.entry("token", TokenCommands.class),
            Map.entry("pending", ApprovalCommands.Pending.class),
            Map.entry("approve", ApprovalCommands.Approve.class),
            Map.entry("deny", ApprovalCommands.Deny.class),
            Map.entry("audit", AuditCommands.class),
            Map.entry("policy", DaemonCommands.Policy.class),
            Map.entry("ceremony", CeremonyCommands.class));

    private static final List<String> GLOBAL_OPTIONS_WITH_VALUE =
            List.of("--socket", "-s", "--server", "--tlscacert", "-o", "--output");

    /**
     * The top-level command {@code args} run, or null when that is not plain (help, a typo, the
     * generators): then the whole tree is built.
     */
    static Class<?> commandNamed(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (GLOBAL_OPTIONS_WITH_VALUE.contains(a)) {
                i++;
                continue;
            }
            if (a.startsWith("-")) {
                continue;
            }
            Class<?> known = COMMAND_NAMES.get(a);
            if (known != null && CustodyCommand.COMMANDS.contains(known)) {
                return known;
            }
            for (Class<?> c : CustodyCommand.COMMANDS) {
                picocli.CommandLine.Command cmd = c.getAnnotation(picocli.CommandLine.Command.class);
                if (cmd.hidden()) {
                    continue;
                }
                if (cmd.name().equals(a) || List.of(cmd.aliases()).contains(a)) {
                    return c;
                }
            }
            return null;
        }
        return null;
    }

    /** True for {@code custody [-V|--version]} with global options only: the root alone answers it. */
    static boolean versionOnly(String[] args) {
        boolean version = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (GLOBAL_OPTIONS_WITH_VALUE.contains(a)) {
                i++;
            } else if ("-V".equals(a) || "--version".equals(a)) {
                version = true;
            } else if (!a.startsWith("-") || "-h".equals(a) || "--help".equals(a)) {
                return false;
            }
        }
        return version;
    }

    /**
     * An argument that tries to pass a PIN or passphrase on the command line, or null. Checked before
     * parsing so that no option spelling, abbreviation or typo gets a PIN through.
     */
    static String findPinArgument(String[] args) {
        for (String a : args) {
            if ("--".equals(a)) {
                return null;
            }
            String l = a.toLowerCase(Locale.ROOT);
            String name = l.contains("=") ? l.substring(0, l.indexOf('=')) : l;
            if (!name.startsWith("--")) {
                continue;
            }
            if (List.of("--pin-stdin", "--passphrase-stdin", "--password-stdin").contains(name)) {
                continue;
            }
            if (name.startsWith("--pin")
                    || name.startsWith("--passphrase")
                    || name.startsWith("--password")
                    || name.equals("--puk")
                    || name.equals("--so-pin")) {
                return name;
            }
        }
        return null;
    }

    /** The group of {@code socket}, named in the "permission denied" advice; "custody" when unknown. */
    static String socketGroup(java.nio.file.Path socket) {
        try {
            return java.nio.file.Files.readAttributes(socket, java.nio.file.attribute.PosixFileAttributes.class)
                    .group()
                    .getName();
        } catch (Exception e) {
            return "custody";
        }
    }

    /**
     * The parse error in one line. An unexpected positional argument of a subcommand is not echoed:
     * it may be a PIN typed where custody never takes one.
     */
    private static String describe(ParameterException e) {
        if (e instanceof picocli.CommandLine.UnmatchedArgumentException u
                && e.getCommandLine().getParent() != null
                && u.getUnmatched().stream().noneMatch(a -> a.startsWith("-"))) {
            return "unexpected argument" + (u.getUnmatched().size() == 1 ? "" : "s") + " after the expected ones";
        }
        return firstLine(e.getMessage());
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "invalid arguments";
        }
        int i = s.indexOf('\n');
        return (i < 0 ? s : s.substring(0, i)).strip();
    }
}
