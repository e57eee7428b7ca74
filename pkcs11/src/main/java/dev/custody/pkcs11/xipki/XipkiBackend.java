package dev.custody.pkcs11.xipki;

import dev.custody.pkcs11.CkrConverter;
import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.Pkcs11Backend;
import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import dev.custody.pkcs11.TokenNotFoundException;
import dev.custody.pkcs11.TokenSelector;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.xipki.pkcs11.wrapper.PKCS11Constants;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.PKCS11Module;
import org.xipki.pkcs11.wrapper.Slot;
import org.xipki.pkcs11.wrapper.SlotInfo;

/**
 * The default backend, over {@code org.xipki:ipkcs11wrapper}.
 * Call sequence: {@link #open(Path)} (C_Initialize) → {@link #listTokens()} / {@link #open(TokenSelector, PinSource)}
 * → {@link #close()} (C_Finalize).
 */
public final class XipkiBackend implements Pkcs11Backend {
    public static final String NAME = "ipkcs11wrapper";
    private final PKCS11Module module;
    private final Path path;
    private final List<XipkiToken> opened = new ArrayList<>();
    private boolean closed;

    private XipkiBackend(PKCS11Module module, Path path) {
        this.module = module;
        this.path = path;
    }

    /** One C_Initialize per module per process, shared by every backend instance on it. */
    private static final java.util.Map<Path, java.util.Map.Entry<PKCS11Module, int[]>> LOADED =
            new java.util.HashMap<>();

    public static XipkiBackend open(Path modulePath) throws TokenException {
        XipkiLogger.install();
        Path key = modulePath.toAbsolutePath().normalize();
        synchronized (LOADED) {
            var e = LOADED.get(key);
            if (e != null) {
                e.getValue()[0]++;
                return new XipkiBackend(e.getKey(), key);
            }
            XipkiBackend b = load(key);
            LOADED.put(key, java.util.Map.entry(b.module, new int[] {1}));
            return b;
        }
    }

    private static XipkiBackend load(Path modulePath) throws TokenException {
        PKCS11Module module;
        try {
            module = PKCS11Module.getInstance(modulePath.toString());
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            throw new TokenException(
                    TokenErrorCode.MODULE_ERROR,
                    "cannot load PKCS#11 module " + modulePath + ": " + e.getMessage(),
                    null,
                    null,
                    e);
        }
        try {
            module.initialize(); // C_Initialize
        } catch (PKCS11Exception e) {
            if (e.getErrorCode() != CkrConverter.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
                throw CkrConverter.convert(
                        "C_Initialize", modulePath.toString(), e.getErrorCode(), e.getErrorName(), e);
            }
        }
        return new XipkiBackend(module, modulePath);
    }

    PKCS11Module module() {
        return module;
    }

    /** One-call signing through the JDK's wrapper on this module, attached on first use; see {@link DirectSign}. */
    Optional<DirectSign> directSign() {
        Optional<DirectSign> d = direct;
        if (d == null) {
            synchronized (DIRECT) {
                d = DIRECT.computeIfAbsent(path, DirectSign::attach);
            }
            direct = d;
        }
        return d;
    }

    private volatile Optional<DirectSign> direct;
    private static final java.util.Map<Path, Optional<DirectSign>> DIRECT = new java.util.HashMap<>();

    Path path() {
        return path;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<TokenInfo> listTokens() throws TokenException {
        List<TokenInfo> out = new ArrayList<>();
        Slot[] slots;
        try {
            slots = module.getSlotList(false); // C_GetSlotList(tokenPresent=FALSE)
        } catch (PKCS11Exception e) {
            throw CkrConverter.convert("C_GetSlotList", path.toString(), e.getErrorCode(), e.getErrorName(), e);
        }
        for (Slot slot : slots) {
            tokenInfo(slot).ifPresent(out::add);
        }
        return out;
    }

    /** Slot and token information; a slot with no token is reported as absent, an unreadable one skipped. */
    static java.util.Optional<TokenInfo> tokenInfo(Slot slot) {
        try {
            SlotInfo si = slot.getSlotInfo(); // C_GetSlotInfo
            if (!si.isTokenPresent()) {
                return java.util.Optional.of(
                        new TokenInfo(slot.getSlotID(), "", "", "", "", false, false, false, false, false, false));
            }
            org.xipki.pkcs11.wrapper.TokenInfo ti = slot.getToken().getTokenInfo(); // C_GetTokenInfo
            if (!ti.isTokenInitialized()) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(new TokenInfo(
                    slot.getSlotID(),
                    ti.getLabel().strip(),
                    ti.getSerialNumber().strip(),
                    ti.getManufacturerID().strip(),
                    ti.getModel().strip(),
                    true,
                    ti.isLoginRequired(),
                    ti.hasFlagBit(PKCS11Constants.CKF_USER_PIN_INITIALIZED),
                    ti.hasFlagBit(PKCS11Constants.CKF_USER_PIN_COUNT_LOW),
                    ti.hasFlagBit(PKCS11Constants.CKF_USER_PIN_FINAL_TRY),
                    ti.hasFlagBit(PKCS11Constants.CKF_USER_PIN_LOCKED)));
        } catch (PKCS11Exception e) {
            return java.util.Optional.empty();
        }
    }

    /** The present token matching the selector, with its slot; empty if none is present. */
    java.util.Optional<java.util.Map.Entry<Slot, TokenInfo>> findPresent(TokenSelector selector) throws TokenException {
        Slot[] slots;
        try {
            slots = module.getSlotList(true); // C_GetSlotList(tokenPresent=TRUE)
        } catch (PKCS11Exception e) {
            throw CkrConverter.convert("C_GetSlotList", path.toString(), e.getErrorCode(), e.getErrorName(), e);
        }
        java.util.Map.Entry<Slot, TokenInfo> found = null;
        for (Slot slot : slots) {
            java.util.Optional<TokenInfo> ti = tokenInfo(slot);
            if (ti.isPresent() && ti.get().present() && selector.matches(ti.get())) {
                if (found != null) {
                    throw new TokenNotFoundException("more than one token matches " + selector
                            + " (serials " + found.getValue().serial() + ", "
                            + ti.get().serial()
                            + "); select by serial");
                }
                found = java.util.Map.entry(slot, ti.get());
            }
        }
        return java.util.Optional.ofNullable(found);
    }

    @Override
    public synchronized HsmToken open(TokenSelector selector, PinSource pins) throws TokenException {
        if (closed) {
            throw new IllegalStateException("backend closed");
        }
        if (!selector.identifiesToken()) {
            throw new TokenException(
                    TokenErrorCode.BAD_INPUT,
                    "the selector names no token: give a label," + " serial or pkcs11: URI with token= or serial=");
        }
        var found = findPresent(selector)
                .orElseThrow(() -> new TokenNotFoundException("no token present matches " + selector));
        XipkiToken t = new XipkiToken(this, selector, found.getValue(), pins);
        opened.add(t);
        return t;
    }

    synchronized void forget(XipkiToken t) {
        opened.remove(t);
    }

    @Override
    public void close() {
        List<XipkiToken> toClose;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(opened);
        }
        toClose.forEach(XipkiToken::close);
        synchronized (LOADED) {
            var e = LOADED.get(path);
            if (e != null && --e.getValue()[0] == 0) {
                LOADED.remove(path);
                try {
                    module.finalize(null); // C_Finalize
                } catch (PKCS11Exception ex) {
                    // finalising a module that is going away: nothing the caller can do
                }
            }
        }
    }
}
