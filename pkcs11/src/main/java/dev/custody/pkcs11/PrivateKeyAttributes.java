package dev.custody.pkcs11;

/** The protection attributes of a private key object, as the token reports them (C_GetAttributeValue). */
public record PrivateKeyAttributes(
        boolean token,
        boolean isPrivate,
        boolean sensitive,
        boolean extractable,
        boolean alwaysSensitive,
        boolean neverExtractable,
        boolean sign) {

    /** True if the key is protected as Custody requires: on the token, sensitive, not extractable. */
    public boolean custodyCompliant() {
        return token && isPrivate && sensitive && !extractable;
    }
}
