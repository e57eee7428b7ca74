package dev.custody.daemon.keys;

import dev.custody.daemon.config.TokenConfig;
import dev.custody.daemon.config.TokenManagementKey;
import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.PinIncorrectException;
import dev.custody.pkcs11.PinLockedException;
import dev.custody.pkcs11.PinRequiredException;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.Pkcs11Backend;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import dev.custody.pkcs11.yubikey.ManagementKeySource;
import dev.custody.pkcs11.yubikey.TouchNotifier;
import dev.custody.pkcs11.yubikey.YubikeyProfile;
import dev.custody.pkcs11.yubikey.YubikeyToken;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One configured token, opened lazily through its module's backend ({@code profile: yubikey}: through
 * the {@link YubikeyProfile} over ykcs11, by serial, with the management key source and a touch
 * notifier that tells whoever {@link #watchTouch watches}).
 *
 * <p>Call sequence: {@link #ready()} before each operation (opens the token if it was absent until
 * now, logs in from the configured PIN source or the PIN cached by {@link #unlock}) → token
 * operations → {@link #lock()} / expiry of the cached PIN (wipe, C_Logout) → {@link #close()}.
 *
 * <p>A wrong PIN is never retried: a PIN from {@code token.unlock} that the token rejects is wiped
 * at once; a configured PIN source the token rejected is not used again until a successful
 * {@link #unlock} (or a restart), so a stale PIN file cannot lock the token.
 *
 * <p>Locks: this object's monitor serialises open, login and lock; {@link #pinLock} guards only the
 * PIN fields and is never held while calling into the token (the token layer asks the PIN source
 * from under its own lock when it logs in again after a re-insert).
 */
final class ManagedToken implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ManagedToken.class.getName());

    /** Opens the backend for this token's module (shared with other tokens on the same module). */
    @FunctionalInterface
    interface BackendOpener {
        Pkcs11Backend open(TokenConfig config) throws TokenException;

        /** The {@code yubikey} profile over this token's module (ykcs11), for {@code profile: yubikey} tokens. */
        default YubikeyProfile yubikey(TokenConfig config) throws TokenException {
            throw new IllegalStateException("no yubikey profile for " + config.name());
        }
    }

    /** A registration made with {@link #watchTouch}; closing it ends it. */
    interface TouchWatch extends AutoCloseable {
        @Override
        void close();
    }

    private final TokenConfig config;
    private final BackendOpener backends;
    /** Told when a signature on this YubiKey waits for a touch: one per signature in progress. */
    private final List<TouchNotifier> touchWatchers = new CopyOnWriteArrayList<>();

    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final Duration pinCacheTime;

    private volatile HsmToken token;
    private volatile TokenInfo lastInfo;

    private final Object pinLock = new Object();
    // guarded by pinLock
    private char[] offeredPin;
    private char[] cachedPin;
    private Instant unlockedUntil;
    private ScheduledFuture<?> expiry;
    private boolean configuredPinRejected;

    ManagedToken(
            TokenConfig config,
            BackendOpener backends,
            ScheduledExecutorService scheduler,
            Clock clock,
            Duration pinCacheTime) {
        this.config = config;
        this.backends = backends;
        this.scheduler = scheduler;
        this.clock = clock;
        this.pinCacheTime = pinCacheTime;
    }

    String name() {
        return config.name();
    }

    TokenConfig config() {
        return config;
    }

    /** What the token said about itself when last seen (label, serial …), if it was ever present. */
    Optional<TokenInfo> lastInfo() {
        return Optional.ofNullable(lastInfo);
    }

    /** The PIN source handed to the token layer: the PIN being tried, the cached one, or the configured one. */
    private Optional<char[]> pin(TokenInfo info) throws TokenException {
        synchronized (pinLock) {
            if (offeredPin != null) {
                return Optional.of(offeredPin.clone());
            }
            if (cachedPin != null) {
                return Optional.of(cachedPin.clone());
            }
            if (configuredPinRejected) {
                return Optional.empty();
            }
        }
        return config.pin().findSource().isPresent() ? config.pin().source().pin(info) : Optional.empty();
    }

    /** Opens the token if needed; TOKEN_NOT_FOUND / TOKEN_ABSENT while it is not inserted. */
    synchronized HsmToken opened() throws TokenException {
        HsmToken t = token;
        if (t != null) {
            return t;
        }
        PinSource source = this::pin;
        if (config.isYubikey()) {
            ManagementKeySource mgm =
                    config.findManagementKey().map(TokenManagementKey::source).orElse(ManagementKeySource.none());
            t = backends.yubikey(config).open(config.serial(), source, mgm, new TouchNotifier() {
                @Override
                public void touchRequired(TouchRequest request) {
                    touchWatchers.forEach(w -> w.touchRequired(request));
                }

                @Override
                public void touchFinished(TouchRequest request) {
                    touchWatchers.forEach(w -> w.touchFinished(request));
                }
            });
        } else {
            t = backends.open(config).open(config.selector(), source);
        }
        try {
            lastInfo = t.info();
        } catch (TokenException e) {
            t.close();
            throw e;
        }
        token = t;
        LOG.log(Level.INFO, "token " + name() + " opened: " + lastInfo.displayName() + " through " + t.backendName());
        return t;
    }

    /** The token as a YubiKey (opened, not necessarily logged in); only for {@code profile: yubikey}. */
    YubikeyToken yubikey() throws TokenException {
        if (!config.isYubikey()) {
            throw new IllegalStateException("token " + name() + " is not a yubikey token");
        }
        return (YubikeyToken) opened();
    }

    /**
     * Tells {@code watcher} about touch requests of this YubiKey until the returned registration is
     * closed; a no-op for other tokens. Register before a signature, close after it returns.
     */
    TouchWatch watchTouch(TouchNotifier watcher) {
        if (!config.isYubikey()) {
            return () -> {};
        }
        touchWatchers.add(watcher);
        return () -> touchWatchers.remove(watcher);
    }

    /** The token, present and logged in; fails fast with the token layer's error otherwise. */
    HsmToken ready() throws TokenException {
        HsmToken t = token;
        if (t != null && t.isLoggedIn()) {
            return t;
        }
        synchronized (this) {
            t = opened();
            if (t.isLoggedIn()) {
                return t;
            }
            boolean fromCache;
            synchronized (pinLock) {
                fromCache = cachedPin != null;
                if (!fromCache
                        && (configuredPinRejected || config.pin().findSource().isEmpty())) {
                    throw new PinRequiredException(
                            name(),
                            configuredPinRejected
                                    ? "the configured PIN (" + config.pin()
                                            + ") was rejected earlier and is not tried again"
                                    : "no PIN cached (PIN source: " + config.pin() + ")");
                }
            }
            try {
                t.login(); // C_Login, once
            } catch (PinIncorrectException | PinLockedException e) {
                synchronized (pinLock) {
                    if (fromCache) {
                        wipeCacheLocked();
                    } else {
                        configuredPinRejected = true;
                    }
                }
                throw e;
            }
            return t;
        }
    }

    /**
     * Logs in with {@code pin} (C_Login, once) and keeps it for {@code pinCacheTime}. The caller wipes
     * its array; this keeps its own copy, wiped on expiry, {@link #lock()} or a rejection.
     *
     * @return when the cached PIN expires
     */
    synchronized Instant unlock(char[] pin) throws TokenException {
        HsmToken t = opened();
        synchronized (pinLock) {
            offeredPin = pin.clone();
        }
        try {
            t.login(); // logs out first if this process was logged in, so the PIN is really checked
        } catch (TokenException e) {
            synchronized (pinLock) {
                PinSource.wipe(offeredPin);
                offeredPin = null;
            }
            throw e;
        }
        synchronized (pinLock) {
            wipeCacheLocked();
            cachedPin = offeredPin;
            offeredPin = null;
            configuredPinRejected = false;
            unlockedUntil = clock.instant().plus(pinCacheTime);
            expiry = scheduler.schedule(this::expire, Math.max(1, pinCacheTime.toMillis()), TimeUnit.MILLISECONDS);
            return unlockedUntil;
        }
    }

    private void expire() {
        try {
            LOG.log(Level.INFO, "token " + name() + ": cached PIN expired; wiped and logged out");
            lock();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "token " + name() + ": logging out after PIN expiry failed: " + e.getMessage());
        }
    }

    /** Wipes the cached PIN and logs out (C_Logout); a token that is not present is left alone. */
    synchronized void lock() {
        synchronized (pinLock) {
            wipeCacheLocked();
        }
        HsmToken t = token;
        if (t != null) {
            try {
                t.logout(); // C_Logout
            } catch (TokenException e) {
                LOG.log(Level.DEBUG, "token " + name() + ": C_Logout: " + e.getMessage());
            }
        }
    }

    private void wipeCacheLocked() {
        if (cachedPin != null) {
            Arrays.fill(cachedPin, '\0');
            cachedPin = null;
        }
        unlockedUntil = null;
        if (expiry != null) {
            expiry.cancel(false);
            expiry = null;
        }
    }

    /** When the PIN given with {@code token.unlock} expires, if one is cached. */
    Optional<Instant> unlockedUntil() {
        synchronized (pinLock) {
            return Optional.ofNullable(unlockedUntil);
        }
    }

    boolean loggedIn() {
        HsmToken t = token;
        return t != null && t.isLoggedIn();
    }

    /** Fresh token information if present now (C_GetSlotList, C_GetTokenInfo), without opening the token. */
    Optional<TokenInfo> probe() throws TokenException {
        Pkcs11Backend backend = config.isYubikey() ? backends.yubikey(config).backend() : backends.open(config);
        Optional<TokenInfo> found = backend.listTokens().stream()
                .filter(i -> i.present() && config.selector().matches(i))
                .findFirst();
        found.ifPresent(i -> lastInfo = i);
        return found;
    }

    @Override
    public synchronized void close() {
        synchronized (pinLock) {
            wipeCacheLocked();
            if (offeredPin != null) {
                Arrays.fill(offeredPin, '\0');
                offeredPin = null;
            }
        }
        HsmToken t = token;
        token = null;
        if (t != null) {
            t.close();
        }
    }
}
