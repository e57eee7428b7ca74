package dev.custody.daemon.keys;

import dev.custody.daemon.rpc.Incidents;
import dev.custody.pkcs11.TokenException;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.PinIncorrectException;
import dev.custody.protocol.PinLockedException;
import dev.custody.protocol.PinRequiredException;
import dev.custody.protocol.TokenAbsentException;

/**
 * The one place where a token-layer failure ({@link TokenException}, by its
 * {@link dev.custody.pkcs11.TokenErrorCode}) becomes the protocol's {@link CustodyException}
 * subclass. The token layer's messages carry no PIN and no key material, so they are passed on.
 */
public final class TokenErrors {
    private TokenErrors() {}

    /**
     * The wire error for {@code e} on the configured token {@code tokenName}.
     *
     * <p>TOKEN_NOT_FOUND (no present token matches the configured label/serial) is TOKEN_ABSENT on
     * the wire: for a configured token, "not found among the present ones" means "not inserted".
     */
    public static CustodyException toCustody(String tokenName, TokenException e) {
        String m = e.getMessage();
        return switch (e.code()) {
            case TOKEN_ABSENT, TOKEN_NOT_FOUND ->
                new TokenAbsentException(tokenName, "token " + tokenName + " is not present: " + m);
            case PIN_REQUIRED -> new PinRequiredException(tokenName, "token " + tokenName + " needs its PIN: " + m);
            case PIN_INCORRECT ->
                e instanceof dev.custody.pkcs11.yubikey.ManagementKeyIncorrectException
                        ? new PinIncorrectException(
                                tokenName,
                                PinIncorrectException.Credential.MANAGEMENT_KEY,
                                null,
                                false,
                                false,
                                "token " + tokenName + ": " + m)
                        : e instanceof dev.custody.pkcs11.PinIncorrectException p
                                ? new PinIncorrectException(tokenName, null, p.countLow(), p.finalTry(), m)
                                : new PinIncorrectException(tokenName, null, m);
            case PIN_LOCKED -> new PinLockedException(tokenName, m);
            case KEY_NOT_FOUND -> new NotFoundException("key", null, m);
            case BAD_INPUT -> new BadRequestException(m, null);
            case UNSUPPORTED -> new ConflictException(null, "token " + tokenName + ": " + m);
            case MODULE_ERROR, TOKEN_ERROR -> Incidents.internal("token " + tokenName + ": " + m, e);
        };
    }
}
