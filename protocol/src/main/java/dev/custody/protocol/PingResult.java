package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Result of {@code ping}: always {@code pong = true}, plus the {@code echo} param if given. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PingResult(boolean pong, String echo) {}
