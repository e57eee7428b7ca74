package dev.custody.client.cli;

import dev.custody.client.api.CustodyApi;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * Entry point of {@code custody}. Parses, runs one command, and turns every failure into one line
 * on stderr and a documented exit status ({@link ExitCodes}, {@link Failure}).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    int status = run(args, Terminal.system(), CustodyApi::connect);
    System.out.flush();
    System.exit(status);
  }

  /**
   * Runs {@code custody args} in this JVM, as the command line would, with {@code env} as its
   * environment and no terminal (for embedding and tests); returns the exit status.
   */
  public static int run(String[] args, java.util.Map<String, String> env, java.io.PrintWriter out,
      java.io.PrintWriter err) {
    Terminal t = new Terminal(out, err, java.io.OutputStream.nullOutputStream(), java.io.InputStream.nullInputStream(),
        java.util.Map.copyOf(env), java.util.Optional.empty());
    return run(args, t, CustodyApi::connect);
  }

  /** Runs {@code custody args}; returns the exit status. */
  static int run(String[] args, Terminal terminal, CustodyCommand.ApiOpener opener) {
    String pinOnArgv = findPinArgument(args);
    if (pinOnArgv != null) {
      terminal.err().println("custody: " + pinOnArgv + " is refused: a PIN on the command line shows in ps and shell"
          + " history; custody prompts for it, or reads it from stdin with --pin-stdin");
      return ExitCodes.USAGE;
    }
    CustodyCommand root = new CustodyCommand(terminal, opener);
    CommandLine cl = commandLine(root, commandNamed(args));
    cl.setOut(terminal.out());
    cl.setErr(terminal.err());
    cl.setParameterExceptionHandler((ParameterException e, String[] a) -> {
      CommandLine sub = e.getCommandLine();
      String name = sub.getCommandSpec().qualifiedName();
      terminal.err().println("custody: " + describe(e) + " (see " + name + " --help)");
      return ExitCodes.USAGE;
    });
    cl.setExecutionExceptionHandler((ex, sub, parseResult) -> {
      Failure f = Failure.of(ex, root.socketPath(), socketGroup(root));
      terminal.err().println("custody: " + f.line());
      if (root.debug) {
        ex.printStackTrace(terminal.err());
      }
      return f.exitCode();
    });
    try {
      return cl.execute(args);
    } finally {
      root.closeApi();
      terminal.out().flush();
      terminal.err().flush();
    }
  }

  /** The whole command tree: help, completion and the man page need it. */
  static CommandLine commandLine(CustodyCommand root) {
    return commandLine(root, null);
  }

  /** The root with every command, or with {@code only} when it is given. */
  static CommandLine commandLine(CustodyCommand root, Class<?> only) {
    CommandLine cl = new CommandLine(root);
    for (Class<?> c : CustodyCommand.COMMANDS) {
      if (only == null || only == c) {
        cl.addSubcommand(new CommandLine(c));
      }
    }
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setUsageHelpLongOptionsMaxWidth(28);
    return cl;
  }

  private static final List<String> GLOBAL_OPTIONS_WITH_VALUE = List.of("--socket", "-s", "--server",
      "--tlscacert", "-o", "--output");

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
      if (name.startsWith("--pin") || name.startsWith("--passphrase") || name.startsWith("--password")
          || name.equals("--puk") || name.equals("--so-pin")) {
        return name;
      }
    }
    return null;
  }

  private static String socketGroup(CustodyCommand root) {
    try {
      return java.nio.file.Files.readAttributes(root.socketPath(), java.nio.file.attribute.PosixFileAttributes.class)
          .group().getName();
    } catch (Exception e) {
      return "custody";
    }
  }

  /**
   * The parse error in one line. An unexpected positional argument of a subcommand is not echoed:
   * it may be a PIN typed where custody never takes one.
   */
  private static String describe(ParameterException e) {
    if (e instanceof picocli.CommandLine.UnmatchedArgumentException u && e.getCommandLine().getParent() != null
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
