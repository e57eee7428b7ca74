package dev.custody.daemon.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.Decision;

/**
 * Everything a {@link CallHandler} learns about a call: the caller, the method and params, and the
 * policy decision that let it through (which says whether an approval is required).
 */
public record Call(CallerIdentity caller, String method, JsonNode params, Action action, Decision decision) {}
