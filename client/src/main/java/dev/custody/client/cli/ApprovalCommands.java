package dev.custody.client.cli;

import dev.custody.protocol.Decision;
import dev.custody.protocol.PendingApproval;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code custody pending}, {@code approve ID}, {@code deny ID}: a custodian's side of approvals. */
final class ApprovalCommands {
    private ApprovalCommands() {}

    @Command(
            name = "pending",
            description = {
                "Lists operations waiting for a custodian's approval, or shows one.",
                "An entry with a TOKEN waits for that token's holders (tokens[].holders): one entry per token.",
                "Offline."
            },
            footer = {"  custody pending", "  custody pending 7f3a"})
    static final class Pending extends CommandBase {
        @Parameters(index = "0", arity = "0..1", paramLabel = "ID")
        String id;

        @Override
        int run() throws Exception {
            if (id != null) {
                PendingApproval p = api().pendingShow(id);
                return report(p, () -> out().print(describe(p)));
            }
            List<PendingApproval> all = api().pendingList();
            return report(Map.of("pending", all), () -> out().print(table(all)));
        }
    }

    static String table(List<PendingApproval> all) {
        if (all.isEmpty()) {
            return "No operations waiting for approval.\n";
        }
        Table t = new Table("ID", "METHOD", "GUN", "ROLE", "TOKEN", "UID", "EXPIRES", "SUMMARY");
        for (PendingApproval p : all) {
            t.row(
                    p.id(),
                    p.method(),
                    p.gun(),
                    p.role(),
                    p.token() == null ? "-" : p.token(),
                    p.requestedBy() == null ? "" : p.requestedBy().uid(),
                    p.expiresAt(),
                    firstLine(p.summary()));
        }
        return t.render();
    }

    /** The first line of a summary, "…" when more follow ({@code custody pending ID} shows all). */
    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl) + " …";
    }

    static String describe(PendingApproval p) {
        StringBuilder sb = new StringBuilder();
        sb.append("Approval ")
                .append(p.id())
                .append(": ")
                .append(p.method())
                .append(" on ")
                .append(p.gun());
        if (p.role() != null) {
            sb.append(" (role ").append(p.role()).append(')');
        }
        sb.append('\n');
        if (p.requestedBy() != null) {
            sb.append("  requested by uid ")
                    .append(p.requestedBy().uid())
                    .append(" (pid ")
                    .append(p.requestedBy().pid())
                    .append(") at ")
                    .append(p.createdAt())
                    .append('\n');
        }
        if (p.token() != null) {
            sb.append("  token ").append(p.token());
            if (p.tokenSerial() != null) {
                sb.append(" (serial ").append(p.tokenSerial()).append(')');
            }
            sb.append(": only its holders (").append(p.holders()).append(") may approve or deny this entry\n");
        }
        sb.append("  expires ").append(p.expiresAt()).append('\n');
        sb.append("  changes: ")
                .append(p.summary() == null ? "" : p.summary().replace("\n", "\n    "))
                .append('\n');
        return sb.toString();
    }

    @Command(
            name = "approve",
            sortOptions = false,
            description = {
                "Approves a pending operation after showing what its signature changes.",
                "An entry for a token (TOKEN in 'custody pending') is decided only by one of that token's holders.",
                "Offline. On a terminal it asks (yes/no); elsewhere it needs --yes."
            },
            footer = "  custody approve 7f3a")
    static final class Approve extends CommandBase {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Option(
                names = {"-y", "--yes"},
                description = "Do not ask")
        boolean yes;

        @Override
        int run() throws Exception {
            PendingApproval p = api().pendingShow(id);
            if (!yes) {
                if (!terminal().interactive()) {
                    throw new Failure.UsageException(
                            "not on a terminal: read 'custody pending " + id + "' and approve with --yes");
                }
                terminal().err().print(describe(p));
                String answer = terminal().console().get().readLine("Approve? (yes/no) ");
                if (answer == null || !answer.strip().equalsIgnoreCase("yes")) {
                    terminal().err().println("Not approved; it stays pending.");
                    return ExitCodes.ERROR;
                }
            }
            Decision d = api().pendingApprove(id);
            return report(d, () -> out().println("Approved " + d.id() + ": " + p.summary()));
        }
    }

    @Command(
            name = "deny",
            description = {"Denies a pending operation; its caller gets APPROVAL_DENIED.", "Offline."},
            footer = "  custody deny 7f3a --reason 'not scheduled'")
    static final class Deny extends CommandBase {
        @Parameters(index = "0", paramLabel = "ID")
        String id;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why (goes to the audit log and the caller)")
        String reason;

        @Override
        int run() throws Exception {
            Decision d = api().pendingDeny(id, reason);
            return report(d, () -> out().println("Denied " + d.id()));
        }
    }
}
