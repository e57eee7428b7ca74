package dev.custody.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.api.CustodyApi;
import dev.custody.protocol.DaemonStatus;
import dev.custody.protocol.Methods;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Command;

/** {@code custody status} (no GUN) and {@code custody policy show}. */
final class DaemonCommands {
    private DaemonCommands() {}

    /** Registered as {@code status} through {@link RepoCommands.Status}: with GUN notary's, without the daemon's. */
    static final class Status {
        private Status() {}

        static int print(CommandBase c) throws Exception {
            if (c.json()) {
                c.printJson(c.api().status());
                return ExitCodes.OK;
            }
            return printTable(c.api(), c.root().socketPath(), c.out());
        }

        /**
         * The table, from the reply's tree: no data binding, so no mapper is made on this most frequent
         * short command (start-up: client/README.md). Also {@link QuickStatus}'s.
         */
        static int printTable(CustodyApi api, Path socket, PrintWriter out) throws Exception {
            JsonNode s = api.protocol().call(Methods.STATUS, null);
            StartupTrace.mark("status read");
            out.print(render(s, socket.toString()));
            return ExitCodes.OK;
        }
    }

    /** The table of a {@code status} result ({@link DaemonStatus}'s fields, read from the tree). */
    static String render(JsonNode s, String socket) {
        StringBuilder sb = new StringBuilder();
        sb.append("custodyd ")
                .append(text(s, "version"))
                .append(" (pid ")
                .append(s.path("pid").asLong())
                .append(") on ")
                .append(socket)
                .append(", up ")
                .append(uptime(s.path("uptimeSeconds").asLong()));
        if (s.path("socketActivated").asBoolean(false)) {
            sb.append(", socket-activated");
        }
        sb.append('\n');
        JsonNode tokens = s.path("tokens");
        if (!tokens.isEmpty()) {
            sb.append("\nTokens:\n");
            Table t = new Table("NAME", "PRESENT", "STATE", "KEYS");
            StringBuilder warnings = new StringBuilder();
            for (JsonNode k : tokens) {
                t.row(
                        text(k, "name"),
                        k.path("present").asBoolean() ? "yes" : "no",
                        TokenCommands.state(
                                k.path("pinLocked").asBoolean(),
                                k.path("unlocked").asBoolean(),
                                text(k, "unlockedUntil"),
                                k.path("pinFinalTry").asBoolean(),
                                k.path("pinCountLow").asBoolean()),
                        k.path("keys").asInt());
                for (JsonNode w : k.path("warnings")) {
                    warnings.append("\nwarning: ").append(w.asText()).append('\n');
                }
            }
            sb.append(t.render()).append(warnings);
        }
        JsonNode pending = s.path("pending");
        if (pending.isNumber()) {
            sb.append("\nWaiting for approval: ")
                    .append(pending.asInt())
                    .append(pending.asInt() > 0 ? " (custody pending)" : "")
                    .append('\n');
        }
        JsonNode repositories = s.path("repositories");
        if (!repositories.isEmpty()) {
            sb.append("\nRepositories:\n");
            Table t = new Table("GUN", "STAGED", "UNFINISHED");
            for (JsonNode r : repositories) {
                t.row(text(r, "gun"), r.path("staged").asInt(), text(r, "journal"));
            }
            sb.append(t.render());
        }
        JsonNode operations = s.path("pendingOperations");
        if (!operations.isEmpty()) {
            sb.append("\nUnfinished operations:\n");
            Table t = new Table("ID", "TYPE", "GUN", "STARTED", "LAST STEP");
            for (JsonNode o : operations) {
                t.row(text(o, "id"), text(o, "type"), text(o, "gun"), text(o, "startedAt"), text(o, "lastStep"));
            }
            sb.append(t.render());
        }
        return sb.toString();
    }

    /** A member's text, null when it is missing or JSON null (as a record component would be). */
    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    static String uptime(long seconds) {
        Duration d = Duration.ofSeconds(seconds);
        if (d.toDays() > 0) {
            return d.toDays() + "d" + d.toHoursPart() + "h";
        }
        if (d.toHours() > 0) {
            return d.toHours() + "h" + d.toMinutesPart() + "m";
        }
        if (d.toMinutes() > 0) {
            return d.toMinutes() + "m" + d.toSecondsPart() + "s";
        }
        return d.toSeconds() + "s";
    }

    @Command(
            name = "policy",
            description = "Shows the policy custodyd enforces.",
            subcommands = Policy.Show.class,
            footer = "  custody policy show")
    static final class Policy {
        @Command(
                name = "show",
                description = {"Shows the policy rules, first match wins.", "Offline."},
                footer = "  custody policy show -o json")
        static final class Show extends CommandBase {
            @Override
            int run() throws Exception {
                JsonNode p = api().policyShow();
                return report(p, () -> out().print(table(p)));
            }
        }

        static String table(JsonNode policy) {
            Table t = new Table("#", "RULE", "EFFECT", "WHO", "GUNS", "ROLES", "OPERATIONS", "APPROVAL");
            int i = 0;
            for (JsonNode r : policy.path("rules")) {
                String who = String.join(
                                " ",
                                join(r, "users", "user:"),
                                join(r, "uids", "uid:"),
                                join(r, "groups", "group:"),
                                join(r, "gids", "gid:"))
                        .strip()
                        .replaceAll(" +", " ");
                t.row(
                        i++,
                        r.path("name").asText(""),
                        r.path("effect").asText("allow"),
                        who,
                        orAny(join(r, "guns", "")),
                        orAny(join(r, "roles", "")),
                        orAny(join(r, "operations", "")),
                        r.path("approval").asText("none"));
            }
            JsonNode d = policy.path("defaultRule");
            String tail =
                    d.isMissingNode() || d.isNull() ? "" : "\nNo match: " + (d.isTextual() ? d.asText() : d) + "\n";
            return t.render() + tail;
        }

        private static String join(JsonNode r, String field, String prefix) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode v : r.path(field)) {
                sb.append(sb.length() == 0 ? "" : ",").append(prefix).append(v.asText());
            }
            return sb.toString();
        }

        private static String orAny(String s) {
            return s.isEmpty() ? "*" : s;
        }
    }
}
