package dev.custody.daemon.testing;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/** Evaluates {@link Requires}: disabled with "Missing capability: …" when something is absent. */
public final class CapabilityCondition implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        List<Capability> missing = context.getElement()
                .flatMap(e -> AnnotationSupport.findAnnotation(e, Requires.class))
                .map(r -> Arrays.stream(r.value()).filter(c -> !c.present()).toList())
                .orElse(List.of());
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("all capabilities present");
        }
        return ConditionEvaluationResult.disabled("Missing capability: "
                + missing.stream().map(Capability::description).collect(Collectors.joining(", ")));
    }
}
