package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * A {@link CustodyException} whose {@code error.data} carries one text field, left out when it is null
 * ({@code token}, {@code gun}, {@code role}, {@code approvalId}, …). The subclasses name the field and give
 * it a typed accessor; the wire form is written here once.
 */
public abstract class SingleFieldException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String fieldName;
    private final String fieldValue;

    SingleFieldException(ErrorCode code, String message, String fieldName, String fieldValue) {
        super(code, message);
        this.fieldName = fieldName;
        this.fieldValue = fieldValue;
    }

    /** The field's value, or null if the failure has none. */
    final String fieldValue() {
        return fieldValue;
    }

    /** The field's value, if the failure has one. */
    final Optional<String> optionalFieldValue() {
        return Optional.ofNullable(fieldValue);
    }

    @Override
    protected final ObjectNode fields() {
        return putIfPresent(super.fields(), fieldName, fieldValue);
    }
}
