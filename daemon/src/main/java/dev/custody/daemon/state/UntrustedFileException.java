package dev.custody.daemon.state;

import java.io.IOException;
import java.nio.file.Path;

/** A file custodyd would trust is not its own ({@link OwnedFiles}): custodyd refuses to start. */
public final class UntrustedFileException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path path;

    public UntrustedFileException(Path path, String why) {
        super(path + " " + why);
        this.path = path;
    }

    /** The file or directory that is not custodyd's own. */
    public Path path() {
        return path;
    }
}
