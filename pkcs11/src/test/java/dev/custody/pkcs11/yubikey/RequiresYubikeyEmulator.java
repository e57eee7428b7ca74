package dev.custody.pkcs11.yubikey;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test drives the real ykcs11 through an isolated pcscd and emulated YubiKeys (test-hsm
 * {@code YubikeyEmulator}): it needs root, pcscd, vsmartcard-vpcd and ykcs11. Without them it is
 * skipped with "Missing capability: …"; CI has them all, so nothing skips there.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(YubikeyEmulatorCondition.class)
@interface RequiresYubikeyEmulator {}
