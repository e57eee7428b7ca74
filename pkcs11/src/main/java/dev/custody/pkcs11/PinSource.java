package dev.custody.pkcs11;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Where a token's user PIN comes from. Each call returns a fresh copy that the caller wipes
 * ({@link #wipe(char[])}) right after C_Login. A PIN never comes from argv.
 *
 * <p>Sources: {@link #env(String)} (tests), {@link #file(Path)} (systemd credentials), and
 * in-memory sources the daemon fills from {@code custody token unlock}.
 */
@FunctionalInterface
public interface PinSource {
    /** The PIN, or empty when none is available now (the caller then reports PIN_REQUIRED). */
    Optional<char[]> pin(TokenInfo token) throws TokenException;

    /** No PIN: for tokens that do not need a login, or to force an explicit unlock. */
    static PinSource none() {
        return t -> Optional.empty();
    }

    /** The PIN from an environment variable (tests and CI only). */
    static PinSource env(String variable) {
        return t -> Optional.ofNullable(System.getenv(variable)).map(String::toCharArray);
    }

    /** The PIN from the first line of a file, e.g. {@code $CREDENTIALS_DIRECTORY/token-pin}. */
    static PinSource file(Path path) {
        return t -> secretFirstLine(path, "PIN");
    }

    /**
     * The first line of a secret file as a char array (empty if the line is empty); the bytes read are
     * wiped. {@code what} names the secret in the error, e.g. {@code PIN} or {@code management key}.
     */
    static Optional<char[]> secretFirstLine(Path path, String what) throws TokenException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new TokenException(
                    TokenErrorCode.PIN_REQUIRED,
                    "cannot read the " + what + " file " + path + " ("
                            + e.getClass().getSimpleName() + ")");
        }
        try {
            int end = 0;
            while (end < bytes.length && bytes[end] != '\n' && bytes[end] != '\r') {
                end++;
            }
            CharBuffer cb = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes, 0, end));
            char[] secret = new char[cb.remaining()];
            cb.get(secret);
            Arrays.fill(cb.array(), '\0');
            return secret.length == 0 ? Optional.empty() : Optional.of(secret);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    /** A PIN held in memory; the array is copied, and each {@link #pin} returns a new copy. */
    static PinSource of(char[] pin) {
        char[] held = pin.clone();
        return t -> Optional.of(held.clone());
    }

    /**
     * Parses an RFC 7512 {@code pin-source} value: {@code env:VAR} or {@code file:/path} (or a bare
     * absolute path, as RFC 7512 allows).
     */
    static PinSource parse(String spec) throws TokenException {
        Optional<SecretLocation> at =
                SecretLocation.find(spec, true).filter(l -> l.kind() != SecretLocation.Kind.CREDENTIAL);
        if (at.isEmpty()) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT, "unknown pin-source '" + spec + "': use env:VARIABLE or file:/path");
        }
        return t -> at.get().read("PIN");
    }

    static void wipe(char[] pin) {
        if (pin != null) {
            Arrays.fill(pin, '\0');
        }
    }
}
