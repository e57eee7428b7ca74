package dev.custody.testhsm.piv;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test runs emulated YubiKeys ({@link YubikeyEmulator}) for the real ykcs11: it needs root, unshare,
 * pcscd, vsmartcard-vpcd and ykcs11. Where one is absent the test is skipped with "Missing capability: …"
 * ({@link YubikeyEmulator#missingCapabilityWithYkcs11()}); CI has them all, so nothing skips there.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(YubikeyEmulatorCondition.class)
public @interface RequiresYubikeyEmulator {}
