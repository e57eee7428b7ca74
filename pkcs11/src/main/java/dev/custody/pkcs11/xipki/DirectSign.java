package dev.custody.pkcs11.xipki;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.util.Optional;
import org.xipki.pkcs11.wrapper.PKCS11Exception;

/**
 * One-call signing on a session ipkcs11wrapper opened: {@code C_SignInit} and {@code C_Sign} through the
 * JDK's own PKCS#11 wrapper ({@code sun.security.pkcs11.wrapper}), whose {@code C_Sign} passes a buffer
 * large enough for any signature and so calls the module once. ipkcs11wrapper's {@code C_Sign} first asks
 * for the length (a second {@code C_Sign} per signature): free on SoftHSM2, but on a token where every
 * call costs a round trip (an HSM over the network, a smart card) it halves the signing rate.
 *
 * <p>Both wrappers load the same module file into one process, so they share its state: the session and
 * key handles of one are valid in the other. The JDK wrapper is attached without {@code C_Initialize}
 * (ipkcs11wrapper did that) and without its Java-side lock (the module locks for itself: it was initialized
 * with {@code CKF_OS_LOCKING_OK}). Needs {@code --add-exports
 * jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED} (bin/custodyd passes it); without it
 * {@link #attach} returns empty and signing stays on ipkcs11wrapper. {@code -Dcustody.pkcs11.directSign=false}
 * turns it off.
 */
final class DirectSign {
    private static final System.Logger LOG = System.getLogger(DirectSign.class.getName());
    private static final long CKF_OS_LOCKING_OK = 0x2;

    private final Object p11;
    private final MethodHandle signInit; // (PKCS11, long, CK_MECHANISM, long) void
    private final MethodHandle sign; // (PKCS11, long, byte[]) byte[]
    private final MethodHandle newMechanism; // (long) CK_MECHANISM
    private final MethodHandle errorCode; // (PKCS11Exception) long
    private final Class<?> jdkException;

    private DirectSign(
            Object p11,
            MethodHandle signInit,
            MethodHandle sign,
            MethodHandle newMechanism,
            MethodHandle errorCode,
            Class<?> jdkException) {
        this.p11 = p11;
        this.signInit = signInit;
        this.sign = sign;
        this.newMechanism = newMechanism;
        this.errorCode = errorCode;
        this.jdkException = jdkException;
    }

    /** The JDK wrapper on {@code module} (already initialized by ipkcs11wrapper), or empty if unavailable. */
    static Optional<DirectSign> attach(Path module) {
        if (!Boolean.parseBoolean(System.getProperty("custody.pkcs11.directSign", "true"))) {
            return Optional.empty();
        }
        try {
            Class<?> c = Class.forName("sun.security.pkcs11.wrapper.PKCS11");
            Class<?> initArgs = Class.forName("sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS");
            Class<?> mech = Class.forName("sun.security.pkcs11.wrapper.CK_MECHANISM");
            Class<?> ex = Class.forName("sun.security.pkcs11.wrapper.PKCS11Exception");
            MethodHandles.Lookup l =
                    MethodHandles.lookup(); // not publicLookup: the package is exported to ALL-UNNAMED only
            Object args = initArgs.getConstructor().newInstance();
            initArgs.getField("flags").setLong(args, CKF_OS_LOCKING_OK); // no Java-side lock around every call
            Object p11 = c.getMethod("getInstance", String.class, String.class, initArgs, boolean.class)
                    .invoke(null, module.toString(), "C_GetFunctionList", args, true); // true: no C_Initialize
            MethodHandle init =
                    l.findVirtual(c, "C_SignInit", MethodType.methodType(void.class, long.class, mech, long.class));
            MethodHandle sign =
                    l.findVirtual(c, "C_Sign", MethodType.methodType(byte[].class, long.class, byte[].class));
            MethodHandle newMech = l.findConstructor(mech, MethodType.methodType(void.class, long.class));
            MethodHandle code = l.findVirtual(ex, "getErrorCode", MethodType.methodType(long.class));
            return Optional.of(new DirectSign(p11, init, sign, newMech, code, ex));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.log(
                    System.Logger.Level.DEBUG,
                    "JDK PKCS#11 wrapper not available for one-call signing (" + e
                            + "); signing through ipkcs11wrapper");
            return Optional.empty();
        }
    }

    /** {@code C_SignInit(mechanism, key)} + one {@code C_Sign(data)} on {@code session}. */
    byte[] sign(long session, long mechanism, long key, byte[] data) throws PKCS11Exception {
        try {
            signInit.invoke(p11, session, newMechanism.invoke(mechanism), key);
            return (byte[]) sign.invoke(p11, session, data);
        } catch (Throwable t) {
            if (jdkException.isInstance(t)) {
                long ckr;
                try {
                    ckr = (long) errorCode.invoke(t);
                } catch (Throwable e) {
                    ckr = 0x5; // CKR_GENERAL_ERROR
                }
                throw new PKCS11Exception(ckr);
            }
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(t);
        }
    }
}
