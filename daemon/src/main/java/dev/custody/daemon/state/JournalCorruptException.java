package dev.custody.daemon.state;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A journal file cannot be read back. Journal records are written atomically, so this means
 * outside interference (manual edits, a broken disk); the daemon refuses to start rather than
 * guess which steps happened.
 */
public final class JournalCorruptException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;

    public JournalCorruptException(Path file, String problem, Throwable cause) {
        super(
                "journal file " + file + " " + problem
                        + "; move the operation's directory aside and check the repository's state by hand",
                cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
