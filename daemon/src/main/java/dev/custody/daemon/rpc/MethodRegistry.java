package dev.custody.daemon.rpc;

import dev.custody.daemon.policy.ActionResolver;
import dev.custody.daemon.policy.Operation;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The methods a daemon serves. Every method is either <em>guarded</em> — policy must allow its
 * {@code Action} before the handler runs, and the outcome is audited — or <em>open</em> (only
 * {@code ping} and {@code status}: read-only, no repository data beyond what policy lets the caller
 * see). Registering is secure by default: {@link #register(String, Handler)} guards the method with
 * the operation of the same name, and refuses names that are not operations.
 *
 * <p>Register everything before the server starts; registration after start is allowed (the table
 * is concurrent) but a method name can be registered once.
 */
public final class MethodRegistry {
    private static final Pattern NAME = Pattern.compile("^[a-z][a-z0-9]*(\\.[a-z][a-zA-Z0-9]*)*$");

    /** One registered method. Exactly one of {@code handler} and {@code callHandler} is set. */
    public record Method(String name, ActionResolver actions, Handler handler, CallHandler callHandler) {
        /** Whether policy and audit run around this method. */
        public boolean guarded() {
            return actions != null;
        }

        /** Whether the handler can honour a decision that requires an approval. */
        public boolean approvalAware() {
            return callHandler != null;
        }
    }

    private final Map<String, Method> methods = new ConcurrentHashMap<>();

    /**
     * Registers a guarded method whose policy operation has the method's name (for example
     * {@code sign.raw}); {@code params.gun} and {@code params.role} name the repository and role.
     *
     * @throws IllegalArgumentException the name is not an {@link Operation} wire name
     */
    public void register(String method, Handler handler) {
        Operation op = Operation.findByWireName(method)
                .orElseThrow(() -> new IllegalArgumentException("method '" + method
                        + "' is not a policy operation: use register(method, ActionResolver, handler)"
                        + " or registerOpen"));
        register(method, ActionResolver.of(op), handler);
    }

    /** Registers a guarded method; {@code actions} reads the policy action from the params. */
    public void register(String method, ActionResolver actions, Handler handler) {
        put(new Method(
                method, Objects.requireNonNull(actions, "actions"), Objects.requireNonNull(handler, "handler"), null));
    }

    /** Registers a guarded method whose handler sees the policy decision and can wait for approvals. */
    public void registerCall(String method, ActionResolver actions, CallHandler handler) {
        put(new Method(
                method, Objects.requireNonNull(actions, "actions"), null, Objects.requireNonNull(handler, "handler")));
    }

    /**
     * Registers an open method: no policy check, no audit line. Only for harmless read-only methods;
     * reaching the socket at all (its file mode and group) is the only gate.
     */
    public void registerOpen(String method, Handler handler) {
        put(new Method(method, null, Objects.requireNonNull(handler, "handler"), null));
    }

    public Optional<Method> find(String method) {
        return Optional.ofNullable(methods.get(method));
    }

    /** Registered method names, sorted. */
    public List<String> names() {
        return methods.keySet().stream().sorted().toList();
    }

    private void put(Method m) {
        if (!NAME.matcher(m.name()).matches()) {
            throw new IllegalArgumentException("bad method name '" + m.name() + "': use dotted lower-case words");
        }
        if (methods.putIfAbsent(m.name(), m) != null) {
            throw new IllegalStateException("method '" + m.name() + "' is already registered");
        }
    }
}
