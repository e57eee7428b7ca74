package dev.custody.pkcs11.yubikey;

import java.time.Duration;

/**
 * Tells a person to touch a YubiKey. {@link YubikeyToken} starts a timer with every signature; if
 * the card has not answered after the threshold ({@link #DEFAULT_THRESHOLD}, 300 ms; a YubiKey
 * signs in well under that), the key is most likely blinking and waiting for a touch, so
 * {@link #touchRequired} is called; when the signature returns (or fails), {@link #touchFinished}.
 *
 * <p>ykcs11 2.2.0 does not show a slot's touch policy through PKCS#11, so the timer runs for every
 * signature, and the notice says "touch the YubiKey with serial N" rather than asserting a policy.
 * A YubiKey gives up after about 15 s without a touch; the signature then fails.
 *
 * <p>Both methods run on a timer thread or the signing thread and must return quickly (hand the
 * notice to the protocol or a terminal, do not wait for the user).
 */
@FunctionalInterface
public interface TouchNotifier {
    Duration DEFAULT_THRESHOLD = Duration.ofMillis(300);

    /** The signature has waited longer than the threshold: ask for a touch. */
    void touchRequired(TouchRequest request);

    /** The signature that {@link #touchRequired} was called for has returned or failed. */
    default void touchFinished(TouchRequest request) {}

    /** Nobody to tell. */
    static TouchNotifier none() {
        return r -> {};
    }

    /** A signature waiting on a YubiKey. */
    record TouchRequest(String serial, PivSlot slot, Duration waited) {
        /** {@code touch the YubiKey with serial N}: what the CLI prints. */
        public String message() {
            return "touch the YubiKey with serial " + serial;
        }
    }
}
