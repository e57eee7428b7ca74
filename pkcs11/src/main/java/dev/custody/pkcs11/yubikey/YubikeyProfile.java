package dev.custody.pkcs11.yubikey;

import dev.custody.pkcs11.CkrConverter;
import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.Pkcs11;
import dev.custody.pkcs11.Pkcs11Backend;
import dev.custody.pkcs11.TokenAbsentException;
import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import dev.custody.pkcs11.TokenNotFoundException;
import dev.custody.pkcs11.TokenSelector;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11Module;
import org.xipki.pkcs11.wrapper.Slot;

/**
 * The {@code yubikey} token profile: YubiKeys through Yubico's PKCS#11 module ykcs11, told apart by
 * serial number.
 *
 * <p>Call sequence: {@link #open(Path)} (C_Initialize of ykcs11) → {@link #list()} (the YubiKeys
 * plugged in now, serials in {@link TokenInfo#serial()}) → {@link #open(String, PinSource,
 * ManagementKeySource, TouchNotifier)} for one serial → {@link YubikeyToken} → {@link #close()}
 * (C_Finalize once nothing else in the process uses the module).
 *
 * <p>ykcs11 facts this profile relies on (checked against ykcs11 2.2.0 and the emulated card in
 * test-hsm): one PKCS#11 slot per PC/SC reader whose name starts with "Yubico"; token serial = the
 * YubiKey's serial in decimal, label {@code YubiKey PIV #<serial>}, manufacturer
 * {@value #MANUFACTURER}, model {@code YubiKey YK5}; PIN 6–8 characters, wrong-PIN tries in the
 * token flags (2 left: COUNT_LOW, 1: FINAL_TRY, 0: LOCKED); key generation needs the security
 * officer login, whose "PIN" is the management key as 48 hex digits; fixed CKA_IDs per slot
 * ({@link PivSlot}).
 *
 * <p>Everything except key generation and PIN-always signatures goes through the ordinary
 * ipkcs11wrapper backend ({@link Pkcs11#open}), which owns the module's C_Initialize/C_Finalize.
 * Those two operations need C_Login as security officer and C_Login(CKU_CONTEXT_SPECIFIC) between
 * C_SignInit and C_Sign, which {@link HsmToken} does not offer; they use a second ipkcs11wrapper
 * handle on the same (already initialised) library, sessions opened per operation.
 */
public final class YubikeyProfile implements AutoCloseable {
    public static final String NAME = "yubikey";
    /** Debian's ykcs11. */
    public static final Path DEFAULT_MODULE = Path.of("/usr/lib/x86_64-linux-gnu/libykcs11.so");
    /** CK_TOKEN_INFO.manufacturerID of every ykcs11 token. */
    public static final String MANUFACTURER = "Yubico (www.yubico.com)";

    private final Path module;
    private final Pkcs11Backend backend;
    private final PKCS11Module raw;
    private volatile boolean closed;

    private YubikeyProfile(Path module, Pkcs11Backend backend, PKCS11Module raw) {
        this.module = module;
        this.backend = backend;
        this.raw = raw;
    }

    /** Loads ykcs11 from its Debian path. */
    public static YubikeyProfile open() throws TokenException {
        return open(DEFAULT_MODULE);
    }

    /** Loads ykcs11 (or a module that behaves like it) from {@code module}. */
    public static YubikeyProfile open(Path module) throws TokenException {
        Pkcs11Backend backend = Pkcs11.open(Pkcs11.Backend.IPKCS11WRAPPER, module); // C_Initialize
        try {
            // a second handle on the same library: shares its initialised state; never finalised here
            PKCS11Module raw =
                    PKCS11Module.getInstance(module.toAbsolutePath().normalize().toString());
            return new YubikeyProfile(module, backend, raw);
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            backend.close();
            throw new TokenException(
                    TokenErrorCode.MODULE_ERROR,
                    "cannot load PKCS#11 module " + module + ": " + e.getMessage(),
                    null,
                    null,
                    e);
        }
    }

    public Path module() {
        return module;
    }

    /** The backend tokens are opened through; for code that only needs {@link HsmToken}. */
    public Pkcs11Backend backend() {
        return backend;
    }

    /** The YubiKeys present now (ykcs11 lists empty "Yubico" readers too; those are left out). */
    public List<TokenInfo> list() throws TokenException {
        List<TokenInfo> out = new ArrayList<>();
        for (TokenInfo t : backend.listTokens()) { // C_GetSlotList, C_GetTokenInfo
            if (t.present() && isYubikey(t)) {
                out.add(t);
            }
        }
        return out;
    }

    /** True for tokens that ykcs11 reports. */
    public static boolean isYubikey(TokenInfo t) {
        return t.manufacturer().startsWith("Yubico");
    }

    /** {@link #open(String, PinSource, ManagementKeySource, TouchNotifier, Duration)} with the 300 ms touch threshold. */
    public YubikeyToken open(String serial, PinSource pins, ManagementKeySource managementKey, TouchNotifier touch)
            throws TokenException {
        return open(serial, pins, managementKey, touch, TouchNotifier.DEFAULT_THRESHOLD);
    }

    /**
     * Opens the YubiKey with this serial number.
     *
     * @param pins          the user PIN source (6–8 characters)
     * @param managementKey the management key source, for key generation only ({@link ManagementKeySource#none()}
     *                      if this caller never generates)
     * @param touch         told when a signature waits longer than {@code touchThreshold}
     * @throws TokenNotFoundException if no YubiKey with this serial is plugged in
     */
    public YubikeyToken open(
            String serial,
            PinSource pins,
            ManagementKeySource managementKey,
            TouchNotifier touch,
            Duration touchThreshold)
            throws TokenException {
        checkOpen();
        List<TokenInfo> present = list();
        TokenInfo info = present.stream()
                .filter(t -> t.serial().equals(serial))
                .findFirst()
                .orElseThrow(() ->
                        new TokenNotFoundException("no YubiKey with serial " + serial + " is plugged in (present: "
                                + present.stream().map(TokenInfo::serial).toList() + ")"));
        HsmToken token = backend.open(TokenSelector.bySerial(serial), YubikeyToken.checkedPins(pins));
        return new YubikeyToken(this, token, info, pins, managementKey, touch, touchThreshold);
    }

    /** The raw slot of the YubiKey with this serial, looked up afresh (slot ids change with re-plugging). */
    Slot rawSlot(String serial) throws TokenException {
        checkOpen();
        Slot[] slots;
        try {
            slots = raw.getSlotList(true); // C_GetSlotList(tokenPresent=TRUE)
        } catch (PKCS11Exception e) {
            throw CkrConverter.convert("C_GetSlotList", module.toString(), e.getErrorCode(), e.getErrorName(), e);
        }
        for (Slot s : slots) {
            try {
                if (s.getToken().getTokenInfo().getSerialNumber().strip().equals(serial)) { // C_GetTokenInfo
                    return s;
                }
            } catch (PKCS11Exception e) {
                // a reader whose card went away between the two calls
            }
        }
        throw new TokenAbsentException("YubiKey " + serial, null, null);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the yubikey profile for " + module + " is closed");
        }
    }

    /** Closes every token opened here and releases the module (C_Finalize if this was its last user). */
    @Override
    public void close() {
        closed = true;
        backend.close();
    }
}
