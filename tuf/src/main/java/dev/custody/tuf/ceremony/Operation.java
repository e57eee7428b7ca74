package dev.custody.tuf.ceremony;

import java.util.Optional;

/** What a ceremony changes; the word is the bundle's {@code operation} field. */
public enum Operation {
    /** New root keys and/or root threshold; nothing else changes. */
    ROTATE_ROOT("rotate-root"),
    /** A new targets key in root; targets re-signed with it, content unchanged. */
    ROTATE_TARGETS("rotate-targets"),
    /** A new snapshot key in root (local, or the server's after {@code -r}). */
    ROTATE_SNAPSHOT("rotate-snapshot"),
    /** Root re-signed with a new expiry; keys and thresholds unchanged. */
    RESIGN_ROOT("resign-root"),
    /**
     * A new repository whose root keys never come online: root v1 over root certificates made offline, signed
     * offline; targets and snapshot are made and signed online at publish. The bundle has no base.
     */
    INIT("init");

    private final String word;

    Operation(String word) {
        this.word = word;
    }

    public String word() {
        return word;
    }

    public static Optional<Operation> ofWord(String word) {
        for (Operation o : values()) {
            if (o.word.equals(word)) {
                return Optional.of(o);
            }
        }
        return Optional.empty();
    }
}
