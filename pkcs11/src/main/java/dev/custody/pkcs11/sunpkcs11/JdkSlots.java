package dev.custody.pkcs11.sunpkcs11;

import dev.custody.pkcs11.CkrConverter;
import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Slot and token information through the JDK's own PKCS#11 wrapper (the one SunPKCS11 uses), which
 * the provider API does not expose. The package is not exported, so the JVM must run with
 * {@value #ADD_EXPORTS}; without it, listing and selecting by label/serial report UNSUPPORTED.
 */
final class JdkSlots {
    static final String ADD_EXPORTS = "--add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=ALL-UNNAMED";
    private static final long CKF_TOKEN_PRESENT = 0x1;
    private static final long CKF_LOGIN_REQUIRED = 0x4;
    private static final long CKF_USER_PIN_INITIALIZED = 0x8;
    private static final long CKF_TOKEN_INITIALIZED = 0x400;
    private static final long CKF_USER_PIN_COUNT_LOW = 0x10000;
    private static final long CKF_USER_PIN_FINAL_TRY = 0x20000;
    private static final long CKF_USER_PIN_LOCKED = 0x40000;

    private final Object pkcs11;
    private final Method getSlotList;
    private final Method getSlotInfo;
    private final Method getTokenInfo;
    private final Path module;

    private JdkSlots(Object pkcs11, Path module) throws ReflectiveOperationException {
        this.pkcs11 = pkcs11;
        this.module = module;
        // the exported type, not the runtime subclass (PKCS11$SynchronizedPKCS11 is not accessible)
        Class<?> c = Class.forName("sun.security.pkcs11.wrapper.PKCS11");
        this.getSlotList = c.getMethod("C_GetSlotList", boolean.class);
        this.getSlotInfo = c.getMethod("C_GetSlotInfo", long.class);
        this.getTokenInfo = c.getMethod("C_GetTokenInfo", long.class);
    }

    static JdkSlots open(Path module) throws TokenException {
        try {
            Class<?> c = Class.forName("sun.security.pkcs11.wrapper.PKCS11");
            Class<?> initArgs = Class.forName("sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS");
            Method getInstance = c.getMethod("getInstance", String.class, String.class, initArgs, boolean.class);
            Object p = getInstance.invoke(null, module.toString(), "C_GetFunctionList", null, false);
            return new JdkSlots(p, module);
        } catch (IllegalAccessException | IllegalAccessError e) {
            throw new dev.custody.pkcs11.UnsupportedByBackendException(
                    SunPkcs11Backend.NAME,
                    "list slots or select a token by label/serial",
                    "the JDK's PKCS#11 wrapper is not exported to Custody; start the JVM with " + ADD_EXPORTS);
        } catch (InvocationTargetException e) {
            throw convert("C_Initialize", e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new TokenException(
                    TokenErrorCode.MODULE_ERROR, "this JDK's SunPKCS11 wrapper is not usable: " + e, null, null, e);
        }
    }

    List<TokenInfo> list(boolean presentOnly) throws TokenException {
        List<TokenInfo> out = new ArrayList<>();
        long[] slots = (long[]) call("C_GetSlotList", getSlotList, presentOnly);
        for (long slot : slots) {
            Object si = call("C_GetSlotInfo", getSlotInfo, slot);
            long slotFlags = longField(si, "flags");
            if ((slotFlags & CKF_TOKEN_PRESENT) == 0) {
                out.add(new TokenInfo(slot, "", "", "", "", false, false, false, false, false, false));
                continue;
            }
            Object ti = call("C_GetTokenInfo", getTokenInfo, slot);
            long f = longField(ti, "flags");
            if ((f & CKF_TOKEN_INITIALIZED) == 0) {
                continue;
            }
            out.add(new TokenInfo(
                    slot,
                    text(ti, "label"),
                    text(ti, "serialNumber"),
                    text(ti, "manufacturerID"),
                    text(ti, "model"),
                    true,
                    (f & CKF_LOGIN_REQUIRED) != 0,
                    (f & CKF_USER_PIN_INITIALIZED) != 0,
                    (f & CKF_USER_PIN_COUNT_LOW) != 0,
                    (f & CKF_USER_PIN_FINAL_TRY) != 0,
                    (f & CKF_USER_PIN_LOCKED) != 0));
        }
        return out;
    }

    private Object call(String function, Method m, Object arg) throws TokenException {
        try {
            return m.invoke(pkcs11, arg);
        } catch (InvocationTargetException e) {
            throw convert(function, e.getCause());
        } catch (IllegalAccessException e) {
            throw new TokenException(TokenErrorCode.MODULE_ERROR, function + " not accessible: " + e, null, null, e);
        }
    }

    /** The JDK's PKCS11Exception has getErrorCode(); route it through the shared converter. */
    static TokenException convert(String function, Throwable t) {
        Long ckr = ckrOf(t);
        if (ckr != null) {
            return CkrConverter.convert(function, "(SunPKCS11)", ckr, ckrName(t), t);
        }
        return new TokenException(TokenErrorCode.TOKEN_ERROR, function + " failed: " + t, null, null, t);
    }

    /** The CKR code from the JDK's PKCS11Exception anywhere in the cause chain, or null. */
    static Long ckrOf(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getClass().getName().equals("sun.security.pkcs11.wrapper.PKCS11Exception")) {
                try {
                    return (Long) c.getClass().getMethod("getErrorCode").invoke(c);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    return parseCkr(c.getMessage());
                }
            }
        }
        return null;
    }

    static String ckrName(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getClass().getName().equals("sun.security.pkcs11.wrapper.PKCS11Exception")) {
                String m = c.getMessage();
                return m != null && m.startsWith("CKR_") ? m.split("\\s")[0] : null;
            }
        }
        return null;
    }

    private static Long parseCkr(String message) {
        if (message == null) {
            return null;
        }
        return switch (message.split("\\s")[0]) {
            case "CKR_PIN_INCORRECT" -> CkrConverter.CKR_PIN_INCORRECT;
            case "CKR_PIN_LOCKED" -> CkrConverter.CKR_PIN_LOCKED;
            case "CKR_DEVICE_REMOVED" -> CkrConverter.CKR_DEVICE_REMOVED;
            case "CKR_TOKEN_NOT_PRESENT" -> CkrConverter.CKR_TOKEN_NOT_PRESENT;
            default -> null;
        };
    }

    private static long longField(Object o, String name) throws TokenException {
        try {
            Field f = o.getClass().getField(name);
            return f.getLong(o);
        } catch (ReflectiveOperationException e) {
            throw new TokenException(TokenErrorCode.MODULE_ERROR, "JDK wrapper field " + name + ": " + e);
        }
    }

    private static String text(Object o, String name) throws TokenException {
        try {
            Object v = o.getClass().getField(name).get(o);
            return new String((char[]) v).strip();
        } catch (ReflectiveOperationException e) {
            throw new TokenException(TokenErrorCode.MODULE_ERROR, "JDK wrapper field " + name + ": " + e);
        }
    }

    Path module() {
        return module;
    }
}
