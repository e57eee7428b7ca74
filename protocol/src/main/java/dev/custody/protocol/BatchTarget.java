package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/** One target of {@code repo.addBatch}: name, length, hex SHA-256 and optional hex SHA-512. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BatchTarget(String name, long length, String sha256, String sha512) {
    public BatchTarget {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(sha256, "sha256");
        if (length < 0) {
            throw new IllegalArgumentException("length must not be negative: " + length);
        }
    }
}
