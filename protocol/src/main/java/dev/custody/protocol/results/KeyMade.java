package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;

/**
 * Result of {@code key.generate} and {@code key.import}: the key's {@link KeyEntry} fields, then what the
 * method adds — {@code alreadyImported} ({@code key.import} with {@code skipExisting} of a key already on
 * a token), {@code softwareCopyNote} ({@code key.import}) or the public key as PEM ({@code key.generate}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KeyMade(@JsonUnwrapped KeyEntry key, Boolean alreadyImported, String softwareCopyNote, String publicKey) {

    /** {@code key.generate}: the key and its public key. */
    public static KeyMade generated(KeyEntry key, String publicKey) {
        return new KeyMade(key, null, null, publicKey);
    }

    /** {@code key.import}: the key and the note on the software copy left behind. */
    public static KeyMade imported(KeyEntry key, String softwareCopyNote) {
        return new KeyMade(key, null, softwareCopyNote, null);
    }

    /** {@code key.import} with {@code skipExisting}: the key was on a token already, nothing was written. */
    public static KeyMade alreadyImported(KeyEntry key) {
        return new KeyMade(key, true, null, null);
    }
}
