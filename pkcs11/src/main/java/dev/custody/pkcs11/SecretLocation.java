package dev.custody.pkcs11;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a secret (a PIN, a YubiKey management key) is read from, as written in a config or a PKCS#11
 * URI: {@code env:VAR}, {@code file:/path} (with {@code rfc7512}, also a bare absolute path) or
 * {@code credential:NAME} (the file {@code NAME} in systemd's {@code $CREDENTIALS_DIRECTORY}). The one
 * parser of these forms; never the secret itself.
 */
public record SecretLocation(Kind kind, String value) {
    private static final Pattern ENV_NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_]*$");
    private static final Pattern CREDENTIAL_NAME = Pattern.compile("^[A-Za-z0-9_][A-Za-z0-9_.-]*$");

    /** The forms. */
    public enum Kind {
        /** An environment variable (tests and CI). */
        ENV,
        /** The first line of a file. */
        FILE,
        /** The first line of {@code $CREDENTIALS_DIRECTORY/NAME}, resolved when read. */
        CREDENTIAL
    }

    /**
     * The location {@code spec} names, or empty when it is none of the forms (the caller may know
     * others, such as {@code prompt}). With {@code rfc7512}, a bare absolute path is a file, as RFC
     * 7512's {@code pin-source} allows.
     */
    public static Optional<SecretLocation> find(String spec, boolean rfc7512) {
        if (spec.startsWith("env:")) {
            return Optional.of(new SecretLocation(Kind.ENV, spec.substring(4)));
        }
        if (spec.startsWith("file:")) {
            return Optional.of(new SecretLocation(Kind.FILE, spec.substring(5)));
        }
        if (spec.startsWith("credential:")) {
            return Optional.of(new SecretLocation(Kind.CREDENTIAL, spec.substring(11)));
        }
        if (rfc7512 && spec.startsWith("/")) {
            return Optional.of(new SecretLocation(Kind.FILE, spec));
        }
        return Optional.empty();
    }

    /**
     * This location if it is well formed: an absolute file path, a usable variable or credential name.
     *
     * @param spec what it was parsed from, quoted in the message
     * @param what the secret, e.g. {@code PIN} or {@code management key}
     * @throws IllegalArgumentException saying what is wrong
     */
    public SecretLocation checked(String spec, String what) {
        boolean ok = switch (kind) {
            case FILE -> Path.of(value).isAbsolute();
            case ENV -> ENV_NAME.matcher(value).matches();
            case CREDENTIAL -> CREDENTIAL_NAME.matcher(value).matches();
        };
        if (!ok) {
            throw new IllegalArgumentException("\"" + spec + "\": "
                    + switch (kind) {
                        case FILE -> "the " + what + " file path must be absolute";
                        case ENV -> "'" + value + "' is not an environment variable name";
                        case CREDENTIAL -> "'" + value + "' is not a credential name";
                    });
        }
        return this;
    }

    /**
     * Reads the secret now: a fresh copy the caller wipes, or empty when the variable is unset or the
     * file's first line is empty.
     *
     * @param what the secret, e.g. {@code PIN}, named in errors
     * @throws TokenException PIN_REQUIRED when the file cannot be read or, for a credential,
     *     {@code $CREDENTIALS_DIRECTORY} is not set
     */
    public Optional<char[]> read(String what) throws TokenException {
        return switch (kind) {
            case ENV -> Optional.ofNullable(System.getenv(value)).map(String::toCharArray);
            case FILE -> PinSource.secretFirstLine(Path.of(value), what);
            case CREDENTIAL -> {
                // resolved at use: $CREDENTIALS_DIRECTORY is set by systemd for the service process only
                String dir = System.getenv("CREDENTIALS_DIRECTORY");
                if (dir == null) {
                    throw new TokenException(
                            TokenErrorCode.PIN_REQUIRED,
                            "the " + what + " source credential:" + value
                                    + " needs $CREDENTIALS_DIRECTORY (LoadCredential= in custodyd.service)");
                }
                yield PinSource.secretFirstLine(Path.of(dir, value), what);
            }
        };
    }
}
