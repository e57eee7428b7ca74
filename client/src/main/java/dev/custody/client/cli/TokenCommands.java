package dev.custody.client.cli;

import dev.custody.protocol.TokenStatus;
import dev.custody.protocol.TokenUnlockResult;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code custody token list|unlock|lock}: the tokens custodyd owns and their PIN state. */
@Command(
        name = "token",
        description = "Shows, unlocks and locks the hardware tokens custodyd owns. Offline.",
        subcommands = {TokenCommands.ListTokens.class, TokenCommands.Unlock.class, TokenCommands.Lock.class},
        footer = "  custody token unlock yubikey-1")
final class TokenCommands {
    @Command(
            name = "list",
            aliases = "ls",
            description = {"Lists the configured tokens: present, unlocked, PIN state.", "Offline."},
            footer = "  custody token list -o json")
    static final class ListTokens extends CommandBase {
        @Override
        int run() throws Exception {
            List<TokenStatus> tokens = api().tokenList();
            return report(java.util.Map.of("tokens", tokens), () -> out().print(table(tokens)));
        }
    }

    static String table(List<TokenStatus> tokens) {
        if (tokens.isEmpty()) {
            return "\nNo tokens configured (tokens: in custodyd.yaml).\n\n";
        }
        Table t = new Table("NAME", "LABEL", "SERIAL", "PRESENT", "STATE", "KEYS");
        for (TokenStatus s : tokens) {
            t.row(s.name(), s.label(), s.serial(), s.present() ? "yes" : "no", state(s), s.keys());
        }
        return "\n" + t.render() + warnings(tokens) + "\n";
    }

    /** The tokens' warnings (e.g. a YubiKey on the default management key), one line each, or "". */
    static String warnings(List<TokenStatus> tokens) {
        StringBuilder sb = new StringBuilder();
        for (TokenStatus s : tokens) {
            if (s.warnings() != null) {
                s.warnings().forEach(w -> sb.append("\nwarning: ").append(w).append('\n'));
            }
        }
        return sb.toString();
    }

    static String state(TokenStatus s) {
        return state(s.pinLocked(), s.unlocked(), s.unlockedUntil(), s.pinFinalTry(), s.pinCountLow());
    }

    /** The STATE column: {@code locked}, {@code unlocked until T}, {@code PIN locked}, with PIN count flags. */
    static String state(
            boolean pinLocked, boolean unlocked, String unlockedUntil, boolean pinFinalTry, boolean pinCountLow) {
        if (pinLocked) {
            return "PIN locked";
        }
        String st = unlocked ? "unlocked" + (unlockedUntil == null ? "" : " until " + unlockedUntil) : "locked";
        if (pinFinalTry) {
            st += " (final PIN try)";
        } else if (pinCountLow) {
            st += " (PIN count low)";
        }
        return st;
    }

    @Command(
            name = "unlock",
            sortOptions = false,
            description = {
                "Unlocks a token: custodyd keeps its PIN in memory for its pinCacheTime.",
                "Offline. The PIN is read from the terminal without echo, or from stdin with --pin-stdin;"
                        + " never from the command line. TOKEN may be omitted when custodyd has one token."
            },
            footer = {
                "  custody token unlock yubikey-1",
                "  systemd-ask-password 'PIN:' | custody token unlock yubikey-1 --pin-stdin"
            })
    static final class Unlock extends CommandBase {
        @Parameters(
                index = "0",
                arity = "0..1",
                paramLabel = "TOKEN",
                description = "Token name, label, serial:S or pkcs11: URI")
        String token;

        @Option(names = "--pin-stdin", description = "Read the PIN from the first line of stdin")
        boolean pinStdin;

        @Override
        int run() throws Exception {
            String name = token != null ? token : onlyToken(this);
            char[] pin = Secrets.read(terminal(), "PIN for token " + name + ": ", pinStdin, "--pin-stdin");
            TokenUnlockResult r = api().tokenUnlock(name, pin);
            return report(
                    r,
                    () -> out().println("Token " + r.token() + " unlocked"
                            + (r.unlockedUntil() == null ? "" : " until " + r.unlockedUntil())));
        }
    }

    /** The one configured token, or a usage error asking for its name. */
    static String onlyToken(CommandBase c) throws Exception {
        List<TokenStatus> all = c.api().tokenList();
        if (all.size() == 1) {
            return all.get(0).name();
        }
        throw new Failure.UsageException(
                all.isEmpty()
                        ? "custodyd has no tokens configured"
                        : "custodyd has " + all.size() + " tokens: name one ("
                                + String.join(
                                        ", ",
                                        all.stream().map(TokenStatus::name).toList()) + ")");
    }

    @Command(
            name = "lock",
            description = {"Locks a token: custodyd forgets its PIN and logs out.", "Offline."},
            footer = "  custody token lock yubikey-1")
    static final class Lock extends CommandBase {
        @Parameters(index = "0", arity = "0..1", paramLabel = "TOKEN")
        String token;

        @Override
        int run() throws Exception {
            String name = token != null ? token : onlyToken(this);
            String locked = api().tokenLock(name);
            return report(java.util.Map.of("token", locked), () -> out().println("Token " + locked + " locked"));
        }
    }
}
