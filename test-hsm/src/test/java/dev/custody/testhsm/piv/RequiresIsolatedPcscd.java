package dev.custody.testhsm.piv;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The test starts an isolated pcscd with vpcd readers: it needs root, unshare, pcscd and
 * vsmartcard-vpcd (and pkcs11-tool and ykcs11 as witnesses). Skipped with "Missing capability: …"
 * where they are absent; CI has them, so nothing skips there.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(IsolatedPcscdCondition.class)
@interface RequiresIsolatedPcscd {}
