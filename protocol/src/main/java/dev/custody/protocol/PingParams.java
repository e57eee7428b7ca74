package dev.custody.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Params of {@code ping}: an optional string echoed back. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PingParams(String echo) {}
