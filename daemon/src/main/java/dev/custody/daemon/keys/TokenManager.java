package dev.custody.daemon.keys;

import dev.custody.daemon.config.DaemonConfig;
import dev.custody.daemon.config.TokenConfig;
import dev.custody.daemon.config.TokenManagementKey;
import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.Pkcs11;
import dev.custody.pkcs11.Pkcs11Backend;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import dev.custody.pkcs11.TokenSelector;
import dev.custody.pkcs11.yubikey.YubikeyProfile;
import dev.custody.pkcs11.yubikey.YubikeyToken;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.NotFoundException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The configured tokens: one {@link ManagedToken} per {@code tokens[]} entry, one
 * {@link Pkcs11Backend} per module path (C_Initialize once; a {@link YubikeyProfile} per ykcs11 path for
 * {@code profile: yubikey} tokens), both opened on first use so that a
 * token absent at start-up is fine and is picked up when inserted, without a restart.
 *
 * <p>Call sequence: {@link #TokenManager} → {@link #get}/{@link #find} → {@link ManagedToken#ready()}
 * … → {@link #close()} (wipes PINs, closes tokens, C_Finalize).
 */
public final class TokenManager implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TokenManager.class.getName());
    /** The backend used for every module: the ipkcs11wrapper one, which supports every operation. */
    static final Pkcs11.Backend BACKEND =
            Pkcs11.Backend.valueOf(System.getProperty("custody.pkcs11.backend", "IPKCS11WRAPPER"));

    private final Map<String, ManagedToken> tokens = new LinkedHashMap<>();
    private final Map<Path, Pkcs11Backend> backends = new HashMap<>(); // guarded by itself
    private final Map<Path, YubikeyProfile> yubikeyProfiles = new HashMap<>(); // guarded by backends
    private final ScheduledExecutorService scheduler;

    public TokenManager(DaemonConfig config, Clock clock) {
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "custodyd-pin-expiry");
            t.setDaemon(true);
            return t;
        });
        ManagedToken.BackendOpener opener = new ManagedToken.BackendOpener() {
            @Override
            public Pkcs11Backend open(TokenConfig c) throws TokenException {
                return backend(c);
            }

            @Override
            public YubikeyProfile yubikey(TokenConfig c) throws TokenException {
                return yubikeyProfile(c);
            }
        };
        for (TokenConfig tc : config.tokens()) {
            tokens.put(tc.name(), new ManagedToken(tc, opener, scheduler, clock, config.pinCacheTime()));
            defaultManagementKeyWarning(tc).ifPresent(w -> LOG.log(Level.WARNING, w));
        }
    }

    /**
     * The warning for a {@code yubikey} token configured with the well-known default management key,
     * logged at start and shown by {@code token.list} and {@code status}.
     */
    static Optional<String> defaultManagementKeyWarning(TokenConfig tc) {
        if (!tc.isYubikey()
                || tc.findManagementKey()
                        .filter(TokenManagementKey::isWellKnownDefault)
                        .isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(
                "token " + tc.name() + " (YubiKey " + tc.serial() + ") uses the well-known DEFAULT"
                        + " PIV management key (010203...08): anyone holding this YubiKey can overwrite its keys. Set a new one"
                        + " (ykman piv access change-management-key) and configure managementKey: credential:NAME or file:/path.");
    }

    /** One {@link YubikeyProfile} per ykcs11 path (it holds that module's C_Initialize). */
    private YubikeyProfile yubikeyProfile(TokenConfig config) throws TokenException {
        Path module = config.module().toAbsolutePath().normalize();
        synchronized (backends) {
            YubikeyProfile p = yubikeyProfiles.get(module);
            if (p == null) {
                p = YubikeyProfile.open(module); // C_Initialize
                yubikeyProfiles.put(module, p);
            }
            return p;
        }
    }

    private Pkcs11Backend backend(TokenConfig config) throws TokenException {
        Path module = config.module().toAbsolutePath().normalize();
        synchronized (backends) {
            Pkcs11Backend b = backends.get(module);
            if (b == null) {
                b = Pkcs11.open(BACKEND, module); // C_Initialize
                backends.put(module, b);
            }
            return b;
        }
    }

    /** Configured tokens, in config order. */
    List<ManagedToken> all() {
        return List.copyOf(tokens.values());
    }

    /** The token named exactly so in the config. */
    Optional<ManagedToken> findByName(String name) {
        return Optional.ofNullable(tokens.get(name));
    }

    /** The configured default token for new keys: the first one. */
    ManagedToken defaultToken() throws CustodyException {
        return tokens.values().stream()
                .findFirst()
                .orElseThrow(() -> new NotFoundException(
                        "token", null, "no tokens are configured: add one under tokens: in the custodyd config"));
    }

    /**
     * The configured token a {@code token} param names: its config name, a label, {@code serial:S}, or
     * a {@code pkcs11:} URI (matched against the config and the token's last known label and serial).
     */
    ManagedToken get(String spec) throws CustodyException {
        if (spec == null) {
            return defaultToken();
        }
        ManagedToken byName = tokens.get(spec);
        if (byName != null) {
            return byName;
        }
        TokenSelector sel;
        try {
            sel = TokenSelector.parse(spec);
        } catch (TokenException e) {
            throw TokenErrors.toCustody(spec, e);
        }
        List<ManagedToken> hits = new ArrayList<>();
        for (ManagedToken t : tokens.values()) {
            if (matches(sel, t)) {
                hits.add(t);
            }
        }
        if (hits.size() != 1) {
            throw new NotFoundException(
                    "token",
                    spec,
                    hits.isEmpty()
                            ? "no configured token is named or matches '" + spec + "' (configured: "
                                    + String.join(", ", tokens.keySet()) + ")"
                            : "'" + spec + "' matches several configured tokens; use the token name");
        }
        return hits.get(0);
    }

    private static boolean matches(TokenSelector sel, ManagedToken t) {
        TokenConfig c = t.config();
        Optional<TokenInfo> seen = t.lastInfo();
        String label = seen.map(TokenInfo::label).orElse(c.selector().label());
        String serial = seen.map(TokenInfo::serial).orElse(c.selector().serial());
        return (sel.label() == null || sel.label().equals(label))
                && (sel.serial() == null || sel.serial().equals(serial))
                && (sel.label() != null || sel.serial() != null);
    }

    /** The token, present and logged in, or the wire error that says why not. */
    HsmToken ready(ManagedToken t) throws CustodyException {
        try {
            return t.ready();
        } catch (TokenException e) {
            throw TokenErrors.toCustody(t.name(), e);
        }
    }

    /** The YubiKey of a {@code profile: yubikey} token, present (not necessarily logged in), or the wire error. */
    YubikeyToken yubikey(ManagedToken t) throws CustodyException {
        try {
            return t.yubikey();
        } catch (TokenException e) {
            throw TokenErrors.toCustody(t.name(), e);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        tokens.values().forEach(ManagedToken::close);
        synchronized (backends) {
            backends.values().forEach(Pkcs11Backend::close); // C_Finalize when the last user closes
            backends.clear();
            yubikeyProfiles.values().forEach(YubikeyProfile::close);
            yubikeyProfiles.clear();
        }
    }
}
