package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** Something named in the request does not exist. */
public final class NotFoundException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String kind;
    private final String name;

    /** @param kind what was looked for: {@code gun}, {@code key}, {@code target}, {@code role}, … */
    public NotFoundException(String kind, String name, String message) {
        super(ErrorCode.NOT_FOUND, message);
        this.kind = kind;
        this.name = name;
    }

    public String kind() {
        return kind;
    }

    public String name() {
        return name;
    }

    @Override
    protected ObjectNode fields() {
        return putIfPresent(putIfPresent(super.fields(), "kind", kind), "name", name);
    }
}
