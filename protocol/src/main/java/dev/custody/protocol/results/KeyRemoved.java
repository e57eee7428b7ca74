package dev.custody.protocol.results;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Result of {@code key.remove}: the key left the inventory ({@code tokenSerial} absent when not known). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record KeyRemoved(String keyId, String token, String tokenSerial) {}
