package dev.custody.client.cli;

import dev.custody.protocol.Notice;
import java.util.function.Consumer;

/**
 * Prints the notices custodyd sends while a command waits: a {@code touch} notice becomes
 * {@code custody: touch the YubiKey with serial N} on stderr, on a terminal and in pipes and CI
 * alike (it is the one thing a person must do for the command to go on). Other kinds, including
 * {@code touch.done} and kinds newer than this CLI, print nothing.
 */
final class NoticePrinter implements Consumer<Notice> {
    private final Terminal terminal;

    NoticePrinter(Terminal terminal) {
        this.terminal = terminal;
    }

    @Override
    public void accept(Notice n) {
        if (!Notice.TOUCH.equals(n.kind())) {
            return;
        }
        String message = n.message()
                .orElseGet(() -> "touch the YubiKey"
                        + n.text("serial").map(s -> " with serial " + s).orElse(""));
        // on a terminal a progress line may be drawn: clear it first, so the notice stands on its own line
        String clear = terminal.interactive() ? "\r\u001b[K" : "";
        terminal.err().println(clear + "custody: " + message);
        terminal.err().flush();
    }
}
