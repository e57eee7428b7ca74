package dev.custody.protocol;

import java.io.IOException;

/** A line exceeded the reader's limit; the reader stopped consuming at {@code limit + 1} bytes. */
public final class LineTooLongException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int limitBytes;

    public LineTooLongException(int limitBytes) {
        super("line exceeds " + limitBytes + " bytes");
        this.limitBytes = limitBytes;
    }

    public int limitBytes() {
        return limitBytes;
    }
}
