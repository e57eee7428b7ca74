package dev.custody.testhsm.piv;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Evaluates {@link RequiresYubikeyEmulator}: disabled with "Missing capability: …" naming what is absent. */
public final class YubikeyEmulatorCondition implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return YubikeyEmulator.missingCapabilityWithYkcs11()
                .map(ConditionEvaluationResult::disabled)
                .orElseGet(
                        () -> ConditionEvaluationResult.enabled("root, unshare, pcscd, vpcd and ykcs11 are available"));
    }
}
