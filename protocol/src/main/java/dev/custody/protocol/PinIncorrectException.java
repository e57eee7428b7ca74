package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.OptionalInt;

/**
 * The token rejected the PIN. The daemon never retries a wrong PIN by itself. {@link #countLow()}
 * and {@link #finalTry()} are the token's flags read right after the failure (CKF_USER_PIN_COUNT_LOW,
 * CKF_USER_PIN_FINAL_TRY): warn the user before the token locks.
 */
public final class PinIncorrectException extends CustodyException {
    private static final long serialVersionUID = 1L;

    /** Which credential the token refused ({@code data.credential} on the wire; absent means the PIN). */
    public enum Credential {
        /** The user PIN, from {@code custody token unlock} or custodyd's config. */
        PIN("pin"),
        /** A YubiKey's management key, from custodyd's config. */
        MANAGEMENT_KEY("managementKey");

        private final String wireName;

        Credential(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }

        static Credential fromWire(String name) {
            return MANAGEMENT_KEY.wireName.equals(name) ? MANAGEMENT_KEY : PIN;
        }
    }

    private final String token;
    private final Credential credential;
    private final Integer triesLeft;
    private final boolean countLow;
    private final boolean finalTry;

    /** @param triesLeft tries before the token locks, or null if the token does not tell */
    public PinIncorrectException(String token, Integer triesLeft, String message) {
        this(token, triesLeft, false, false, message);
    }

    public PinIncorrectException(String token, Integer triesLeft, boolean countLow, boolean finalTry, String message) {
        this(token, Credential.PIN, triesLeft, countLow, finalTry, message);
    }

    public PinIncorrectException(
            String token,
            Credential credential,
            Integer triesLeft,
            boolean countLow,
            boolean finalTry,
            String message) {
        super(ErrorCode.PIN_INCORRECT, message);
        this.token = token;
        this.credential = credential == null ? Credential.PIN : credential;
        this.triesLeft = triesLeft;
        this.countLow = countLow;
        this.finalTry = finalTry;
    }

    public String token() {
        return token;
    }

    /** Which credential was refused: the PIN, or a YubiKey's management key. */
    public Credential credential() {
        return credential;
    }

    public OptionalInt triesLeft() {
        return triesLeft == null ? OptionalInt.empty() : OptionalInt.of(triesLeft);
    }

    /** The token says few tries are left. */
    public boolean countLow() {
        return countLow;
    }

    /** The next wrong PIN locks the token. */
    public boolean finalTry() {
        return finalTry;
    }

    @Override
    protected ObjectNode fields() {
        ObjectNode n = putIfPresent(super.fields(), "token", token);
        if (credential != Credential.PIN) {
            n.put("credential", credential.wireName());
        }
        if (triesLeft != null) {
            n.put("triesLeft", triesLeft);
        }
        return n.put("countLow", countLow).put("finalTry", finalTry);
    }
}
