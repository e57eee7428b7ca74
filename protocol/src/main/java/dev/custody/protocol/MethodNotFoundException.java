package dev.custody.protocol;

/** No handler is registered for the requested method. */
public final class MethodNotFoundException extends SingleFieldException {
    private static final long serialVersionUID = 1L;

    public MethodNotFoundException(String method, String message) {
        super(ErrorCode.METHOD_NOT_FOUND, message, "method", method);
    }

    public MethodNotFoundException(String method) {
        this(method, "unknown method '" + method + "': run `custody status` to see what this daemon serves");
    }

    public String method() {
        return fieldValue();
    }
}
