package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A configured token as {@code token.list} and {@code status} send it ({@code TokenStatus} of the method
 * catalog): {@code label}, {@code serial}, {@code manufacturer} and {@code model} are sent even when unknown;
 * {@code unlockedUntil} only while the PIN is cached; {@code profile}, {@code managementKey} and
 * {@code warnings} only for a YubiKey.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TokenReport(
        String name,
        @JsonInclude(JsonInclude.Include.ALWAYS) String label,
        @JsonInclude(JsonInclude.Include.ALWAYS) String serial,
        @JsonInclude(JsonInclude.Include.ALWAYS) String manufacturer,
        @JsonInclude(JsonInclude.Include.ALWAYS) String model,
        boolean present,
        boolean unlocked,
        String unlockedUntil,
        String pinSource,
        boolean pinCountLow,
        boolean pinFinalTry,
        boolean pinLocked,
        int keys,
        String profile,
        String managementKey,
        List<String> warnings) {}
