package dev.custody.pkcs11.yubikey;

import dev.custody.testhsm.piv.YubikeyEmulator;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Skips {@link RequiresYubikeyEmulator} tests on machines that cannot run the emulator, naming what is missing. */
final class YubikeyEmulatorCondition implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        return YubikeyEmulator.missingCapabilityWithYkcs11()
                .map(ConditionEvaluationResult::disabled)
                .orElseGet(() -> ConditionEvaluationResult.enabled("root, pcscd, vpcd and ykcs11 are available"));
    }
}
