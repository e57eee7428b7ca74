package dev.custody.tuf;

/** A role is assigned a key of a type this implementation cannot verify (or a key it cannot decode). */
public final class UnsupportedKeyTypeException extends TufException {
    private final String keyId;
    private final String keyType;

    public UnsupportedKeyTypeException(String role, String keyId, String keyType) {
        super(
                ErrorCode.KEY_TYPE_UNSUPPORTED,
                role,
                prefix(role) + "key " + keyId + " has unsupported type '" + keyType + "'");
        this.keyId = keyId;
        this.keyType = keyType;
    }

    public String keyId() {
        return keyId;
    }

    public String keyType() {
        return keyType;
    }
}
