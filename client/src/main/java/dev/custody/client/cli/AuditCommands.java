package dev.custody.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.protocol.AuditVerification;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code custody audit tail|verify}: the daemon's hash-chained audit log. */
@Command(
        name = "audit",
        description = "Reads and checks custodyd's append-only, hash-chained audit log.",
        subcommands = {AuditCommands.Tail.class, AuditCommands.VerifyLog.class},
        footer = "  custody audit tail -n 50")
final class AuditCommands {
    @Command(
            name = "tail",
            description = {"Shows the last audit records.", "Offline."},
            footer = "  custody audit tail -n 50 -o json")
    static final class Tail extends CommandBase {
        @Option(
                names = {"-n", "--lines"},
                paramLabel = "N",
                description = "How many records (default 20)")
        Integer lines;

        @Override
        int run() throws Exception {
            List<JsonNode> entries = api().auditTail(lines);
            return report(Map.of("entries", entries), () -> out().print(table(entries)));
        }
    }

    static String table(List<JsonNode> entries) {
        if (entries.isEmpty()) {
            return "No audit records.\n";
        }
        // field names as custodyd's audit.tail returns them (the audit line's own fields)
        Table t = new Table("SEQ", "TIME", "METHOD", "UID", "GUN", "ROLE", "KEY ID", "RESULT");
        for (JsonNode e : entries) {
            t.row(
                    text(e, "seq"),
                    text(e, "time"),
                    text(e, "method"),
                    text(e, "uid"),
                    text(e, "gun"),
                    text(e, "role"),
                    text(e, "keyId"),
                    text(e, "result"));
        }
        return t.render();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? "" : v.asText();
    }

    @Command(
            name = "verify",
            description = {"Checks the audit log's hash chain; exit 1 if it is broken.", "Offline."},
            footer = "  custody audit verify")
    static final class VerifyLog extends CommandBase {
        @Override
        int run() throws Exception {
            AuditVerification v = api().auditVerify();
            if (json()) {
                printJson(v);
            } else if (v.ok()) {
                out().println("Audit log intact: " + v.lines() + " records, hash chain verified.");
            }
            if (!v.ok()) {
                throw new Failure.CommandException(
                        ExitCodes.ERROR,
                        "audit log broken at line " + v.firstBadLine() + ": " + v.reason()
                                + " (keep the file as evidence; see journalctl -u custodyd)");
            }
            return ExitCodes.OK;
        }
    }
}
