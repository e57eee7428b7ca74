package dev.custody.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.api.DaemonStatus;
import dev.custody.client.api.TokenStatus;
import java.time.Duration;
import picocli.CommandLine.Command;

/** {@code custody status} (no GUN) and {@code custody policy show}. */
final class DaemonCommands {
  private DaemonCommands() {}

  /** Registered as {@code status} through {@link RepoCommands.Status}: with GUN notary's, without the daemon's. */
  static final class Status {
    private Status() {}

    static int print(CommandBase c) throws Exception {
      DaemonStatus s = c.api().status();
      if (c.json()) {
        c.printJson(s);
      } else {
        c.out().print(render(s, c.root().socketPath().toString()));
      }
      return ExitCodes.OK;
    }
  }

  static String render(DaemonStatus s, String socket) {
    StringBuilder sb = new StringBuilder();
    sb.append("custodyd ").append(s.version()).append(" (pid ").append(s.pid()).append(") on ").append(socket)
        .append(", up ").append(uptime(s.uptimeSeconds()));
    if (Boolean.TRUE.equals(s.socketActivated())) {
      sb.append(", socket-activated");
    }
    sb.append('\n');
    if (!s.tokens().isEmpty()) {
      sb.append("\nTokens:\n");
      Table t = new Table("NAME", "PRESENT", "STATE", "KEYS");
      for (TokenStatus k : s.tokens()) {
        t.row(k.name(), k.present() ? "yes" : "no", TokenCommands.state(k), k.keys());
      }
      sb.append(t.render()).append(TokenCommands.warnings(s.tokens()));
    }
    if (s.pending() != null) {
      sb.append("\nWaiting for approval: ").append(s.pending())
          .append(s.pending() > 0 ? " (custody pending)" : "").append('\n');
    }
    if (!s.repositories().isEmpty()) {
      sb.append("\nRepositories:\n");
      Table t = new Table("GUN", "STAGED", "UNFINISHED");
      s.repositories().forEach(r -> t.row(r.gun(), r.staged(), r.journal() == null ? "" : r.journal()));
      sb.append(t.render());
    }
    if (!s.pendingOperations().isEmpty()) {
      sb.append("\nUnfinished operations:\n");
      Table t = new Table("ID", "TYPE", "GUN", "STARTED", "LAST STEP");
      s.pendingOperations().forEach(o -> t.row(o.id(), o.type(), o.gun(), o.startedAt(), o.lastStep()));
      sb.append(t.render());
    }
    return sb.toString();
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

  @Command(name = "policy", description = "Shows the policy custodyd enforces.",
      subcommands = Policy.Show.class, footerHeading = "%nExample:%n", footer = "  custody policy show")
  static final class Policy {
    @Command(name = "show", description = {"Shows the policy rules, first match wins.", "Offline."},
        footerHeading = "%nExample:%n", footer = "  custody policy show -o json")
    static final class Show extends CommandBase {
      @Override
      int run() throws Exception {
        JsonNode p = api().policyShow();
        if (json()) {
          printJson(p);
        } else {
          out().print(table(p));
        }
        return ExitCodes.OK;
      }
    }

    static String table(JsonNode policy) {
      Table t = new Table("#", "RULE", "EFFECT", "WHO", "GUNS", "ROLES", "OPERATIONS", "APPROVAL");
      int i = 0;
      for (JsonNode r : policy.path("rules")) {
        String who = String.join(" ", join(r, "users", "user:"), join(r, "uids", "uid:"), join(r, "groups", "group:"),
            join(r, "gids", "gid:")).strip().replaceAll(" +", " ");
        t.row(i++, r.path("name").asText(""), r.path("effect").asText("allow"), who, orAny(join(r, "guns", "")),
            orAny(join(r, "roles", "")), orAny(join(r, "operations", "")), r.path("approval").asText("none"));
      }
      JsonNode d = policy.path("defaultRule");
      String tail = d.isMissingNode() || d.isNull() ? "" : "\nNo match: " + (d.isTextual() ? d.asText() : d) + "\n";
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
