package dev.custody.testhsm.piv;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Skips {@link RequiresIsolatedPcscd} tests where the emulator cannot run, naming what is missing. */
final class IsolatedPcscdCondition implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return YubikeyEmulator.missingCapabilityWithYkcs11()
                .map(ConditionEvaluationResult::disabled)
                .orElseGet(
                        () -> ConditionEvaluationResult.enabled("root, unshare, pcscd, vpcd and ykcs11 are available"));
    }
}
