package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

/** What keeps a short command short: choosing the one command to build, and the archive's training run. */
class MainStartupTest {
    @Test
    void commandNames_matchTheAnnotations() {
        Map<String, Class<?>> fromAnnotations = new HashMap<>();
        for (Class<?> c : CustodyCommand.COMMANDS) {
            Command cmd = c.getAnnotation(Command.class);
            if (!cmd.hidden()) {
                fromAnnotations.put(cmd.name(), c);
                for (String alias : cmd.aliases()) {
                    fromAnnotations.put(alias, c);
                }
            }
        }
        assertThat(Main.COMMAND_NAMES).isEqualTo(fromAnnotations);
    }

    @Test
    void commandNamed_findsTheCommandAfterGlobalOptions() {
        assertThat(Main.commandNamed(new String[] {"--socket", "status", "ls", "x"}))
                .isEqualTo(RepoCommands.ListTargets.class);
        assertThat(Main.commandNamed(new String[] {"-o", "json", "status"})).isEqualTo(RepoCommands.Status.class);
        assertThat(Main.commandNamed(new String[] {"gen-man"})).isNull();
        assertThat(Main.commandNamed(new String[] {"stauts"})).isNull();
    }

    @Test
    void versionOnly_isTheRootAlone() {
        assertThat(Main.versionOnly(new String[] {"--version"})).isTrue();
        assertThat(Main.versionOnly(new String[] {"-o", "json", "-V"})).isTrue();
        assertThat(Main.versionOnly(new String[] {"--version", "--help"})).isFalse();
        assertThat(Main.versionOnly(new String[] {"status", "--version"})).isFalse();
        assertThat(Main.versionOnly(new String[] {"-D"})).isFalse();
    }

    @Test
    void version_printsTheVersionFromTheRootAlone() {
        var out = new java.io.StringWriter();
        var err = new java.io.StringWriter();
        int status = Main.run(
                new String[] {"--version"}, Map.of(), new java.io.PrintWriter(out), new java.io.PrintWriter(err));
        assertThat(status).isZero();
        assertThat(out.toString()).startsWith("custody ");
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void quickStartProperties_areSetUnlessGiven_andNoOptionNeedsAnExcludedConverter() {
        Main.quickStartProperties();
        assertThat(System.getProperty("picocli.disable.closures")).isEqualTo("true");
        String excludes = System.getProperty("picocli.converters.excludes");
        assertThat("java.time.Duration".matches(excludes.split(",")[0])).isTrue();
        assertThat("java.sql.Timestamp".matches(excludes.split(",")[1])).isTrue();
        if ("Linux".equals(System.getProperty("os.name"))) {
            assertThat(System.getProperty("java.nio.channels.spi.SelectorProvider"))
                    .isEqualTo("sun.nio.ch.EPollSelectorProvider");
            assertThat(java.nio.channels.spi.SelectorProvider.provider()
                            .getClass()
                            .getName())
                    .isEqualTo("sun.nio.ch.EPollSelectorProvider");
        }
        // picocli has no converter for the excluded packages now: no option or parameter of any command may have
        // such a type (the whole tree, hidden commands included)
        List<String> excluded = new java.util.ArrayList<>();
        java.util.ArrayDeque<picocli.CommandLine> todo = new java.util.ArrayDeque<>();
        todo.add(Main.commandLine(new CustodyCommand(null, socket -> null)));
        while (!todo.isEmpty()) {
            picocli.CommandLine c = todo.pop();
            todo.addAll(c.getSubcommands().values());
            for (picocli.CommandLine.Model.ArgSpec a : c.getCommandSpec().args()) {
                for (Class<?> t : a.auxiliaryTypes()) {
                    String n = t.getName();
                    if (n.startsWith("java.time.")
                            || n.startsWith("java.sql.")
                            || a.type().getName().startsWith("java.time.")) {
                        excluded.add(c.getCommandSpec().qualifiedName() + " " + a.paramLabel() + ": " + n);
                    }
                }
            }
        }
        assertThat(excluded).isEmpty();
    }

    @Test
    void training_runsEachCommandToItsExpectedEnd() throws Exception {
        // --version, --help, status, status -o json, token list, key list: answered (0); list: a method the
        // scripted daemon does not serve (8); an unknown option (2); add --help (0)
        assertThat(StartupTraining.run()).isEqualTo(List.of(0, 0, 0, 0, 0, 0, 8, 2, 0));
    }
}
