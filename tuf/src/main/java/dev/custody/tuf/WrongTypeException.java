package dev.custody.tuf;

/** The {@code _type} field does not name the role the metadata was fetched as. */
public final class WrongTypeException extends TufException {
    private final String expectedType;
    private final String foundType;

    public WrongTypeException(String role, String expectedType, String foundType) {
        super(
                ErrorCode.METADATA_WRONG_TYPE,
                role,
                prefix(role) + "expected _type " + expectedType + ", found " + foundType);
        this.expectedType = expectedType;
        this.foundType = foundType;
    }

    public String expectedType() {
        return expectedType;
    }

    public String foundType() {
        return foundType;
    }
}
