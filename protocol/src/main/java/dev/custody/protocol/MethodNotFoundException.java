package dev.custody.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** No handler is registered for the requested method. */
public final class MethodNotFoundException extends CustodyException {
    private static final long serialVersionUID = 1L;
    private final String method;

    public MethodNotFoundException(String method, String message) {
        super(ErrorCode.METHOD_NOT_FOUND, message);
        this.method = method;
    }

    public MethodNotFoundException(String method) {
        this(method, "unknown method '" + method + "': run `custody status` to see what this daemon serves");
    }

    public String method() {
        return method;
    }

    @Override
    protected ObjectNode fields() {
        return putIfPresent(super.fields(), "method", method);
    }
}
