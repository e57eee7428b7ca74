package dev.custody.daemon.config;

import java.nio.file.Path;

/**
 * The configuration cannot be used. The message names the file and the field, e.g.
 * {@code /etc/custody/custodyd.yaml: limits.idleTimeout: "5 minutes" is not a duration (use 30s,
 * 5m, 1h)}.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final String field;

    public ConfigException(Path file, String field, String problem) {
        this(file, field, problem, null);
    }

    public ConfigException(Path file, String field, String problem, Throwable cause) {
        super(
                (file == null ? "<config>" : file.toString()) + ": "
                        + (field == null || field.isEmpty() ? "" : field + ": ") + problem,
                cause);
        this.file = file;
        this.field = field;
    }

    public Path file() {
        return file;
    }

    /** The offending field as a path, e.g. {@code tokens[1].pin}; empty for the whole file. */
    public String field() {
        return field == null ? "" : field;
    }
}
