package dev.custody.daemon.policy;

import java.util.Objects;
import java.util.Optional;

/**
 * One thing a request wants to do: an operation, on a repository (GUN) and role when they apply.
 * Policy decides on actions; audit lines record them.
 */
public record Action(Operation operation, String gun, String role) {
    public Action {
        Objects.requireNonNull(operation, "operation");
    }

    public static Action of(Operation operation) {
        return new Action(operation, null, null);
    }

    public Optional<String> findGun() {
        return Optional.ofNullable(gun);
    }

    public Optional<String> findRole() {
        return Optional.ofNullable(role);
    }

    @Override
    public String toString() {
        return operation.wireName() + (gun == null ? "" : " " + gun) + (role == null ? "" : " role " + role);
    }
}
