package dev.custody.pkcs11;

import java.util.List;

/**
 * A loaded PKCS#11 module through one of the two implementations ({@link Pkcs11#open}).
 * Call sequence: {@link #listTokens()} → {@link #open(TokenSelector, PinSource)} → {@link #close()}.
 */
public interface Pkcs11Backend extends AutoCloseable {
    String name();

    /** Every slot with its token state; absent tokens are listed with {@code present=false}. */
    List<TokenInfo> listTokens() throws TokenException;

    /** Opens the single token that matches; fails if none or several match. */
    HsmToken open(TokenSelector selector, PinSource pins) throws TokenException;

    @Override
    void close();
}
