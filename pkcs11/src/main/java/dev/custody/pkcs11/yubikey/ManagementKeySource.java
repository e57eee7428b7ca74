package dev.custody.pkcs11.yubikey;

import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.SecretLocation;
import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a YubiKey's PIV management key comes from: 48 hex digits (a 24-byte 3DES key), which ykcs11
 * takes as the security officer's PIN. Needed only to generate keys. Each call returns a fresh copy
 * that the caller wipes after C_Login.
 *
 * <p>Sources: {@link #file(Path)} (systemd credentials), {@link #env(String)} (tests),
 * {@link #of(char[])}, and {@link #wellKnownDefault()}, the factory key {@code 010203…08} three times,
 * which every YubiKey ships with. Using that key (from any source) is logged as a WARNING each time:
 * anyone who holds such a YubiKey can overwrite its keys.
 */
@FunctionalInterface
public interface ManagementKeySource {
    /** The factory default management key, as ykcs11 wants it (48 hex digits). */
    String DEFAULT_KEY_HEX = "010203040506070801020304050607080102030405060708";

    /** The key, or empty when none is configured (generation then fails with PIN_REQUIRED). */
    Optional<char[]> managementKey(TokenInfo token) throws TokenException;

    /** No management key: key generation is refused. */
    static ManagementKeySource none() {
        return t -> Optional.empty();
    }

    /** The factory default. Every use is logged as a WARNING naming the YubiKey's serial. */
    static ManagementKeySource wellKnownDefault() {
        return t -> Optional.of(DEFAULT_KEY_HEX.toCharArray());
    }

    /** A key held in memory; the array is copied, and each call returns a new copy. */
    static ManagementKeySource of(char[] key) {
        char[] held = key.clone();
        return t -> Optional.of(held.clone());
    }

    /** The key from an environment variable (tests and CI only). */
    static ManagementKeySource env(String variable) {
        return t -> Optional.ofNullable(System.getenv(variable)).map(String::toCharArray);
    }

    /** The key from the first line of a file, e.g. {@code $CREDENTIALS_DIRECTORY/yubikey-mgmt-key}. */
    static ManagementKeySource file(Path path) {
        return t -> PinSource.secretFirstLine(path, "management key");
    }

    /** Parses {@code env:VAR}, {@code file:/path} (or a bare absolute path), or {@code default}. */
    static ManagementKeySource parse(String spec) throws TokenException {
        if (spec.equals("default")) {
            return wellKnownDefault();
        }
        Optional<SecretLocation> at =
                SecretLocation.find(spec, true).filter(l -> l.kind() != SecretLocation.Kind.CREDENTIAL);
        if (at.isEmpty()) {
            // the spec is not echoed: a key pasted in by mistake must not end up in a log
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT,
                    "unknown management key source (not shown):" + " use env:VARIABLE, file:/path or default");
        }
        return t -> at.get().read("management key");
    }

    /** True if the key is the factory default (case-insensitive). Does not copy the key. */
    static boolean isDefault(char[] key) {
        if (key.length != DEFAULT_KEY_HEX.length()) {
            return false;
        }
        boolean same = true;
        for (int i = 0; i < key.length; i++) {
            same &= Character.toLowerCase(key[i]) == DEFAULT_KEY_HEX.charAt(i);
        }
        return same;
    }

    /** True if the key has the form ykcs11 accepts: 48 hex digits. */
    static boolean isWellFormed(char[] key) {
        if (key.length != 48) {
            return false;
        }
        for (char c : key) {
            if (Character.digit(c, 16) < 0) {
                return false;
            }
        }
        return true;
    }
}
