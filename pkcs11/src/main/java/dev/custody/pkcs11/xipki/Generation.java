package dev.custody.pkcs11.xipki;

import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.xipki.pkcs11.wrapper.PKCS11Exception;
import org.xipki.pkcs11.wrapper.Session;
import org.xipki.pkcs11.wrapper.Slot;
import org.xipki.pkcs11.wrapper.Token;

/**
 * One connection of a {@link XipkiToken} to its token: the slot found by label/serial, its pool of
 * R/W sessions ({@link #borrow}, {@link #giveBack}), its login, and the private key handles found on
 * it. A removal error ends it ({@link #dead}); the token then connects a new one.
 */
final class Generation {
    /**
     * Sessions per token at most ({@code -Dcustody.pkcs11.sessions}, default 16): signatures on one token
     * run concurrently, one per session. Capped by what the token says it allows
     * ({@code ulMaxRwSessionCount}, less one for other applications), see {@link #poolSize}.
     */
    static final int POOL_SIZE = Integer.getInteger("custody.pkcs11.sessions", 16);

    private static final long BORROW_TIMEOUT_SECONDS = 60;

    final long number;
    final Slot slot;
    final Token token;
    final int poolSize;
    final BlockingQueue<Session> idle;
    final Semaphore permits;
    volatile boolean loggedIn;
    volatile boolean dead;
    /** CKA_ID (hex) → private key handle and type; handles are valid for this connection only. */
    final ConcurrentHashMap<String, long[]> keyHandles = new ConcurrentHashMap<>();

    Generation(long number, Slot slot) {
        this.number = number;
        this.slot = slot;
        this.token = slot.getToken();
        this.poolSize = poolSize(token);
        this.idle = new ArrayBlockingQueue<>(poolSize);
        this.permits = new Semaphore(poolSize, true);
    }

    /**
     * The session pool's size for this token: {@link #POOL_SIZE}, but no more than the token's
     * {@code ulMaxRwSessionCount} less one (another application may need one), when it gives a number
     * (not CK_UNAVAILABLE_INFORMATION or CK_EFFECTIVELY_INFINITE).
     */
    static int poolSize(Token token) {
        long max;
        try {
            max = token.getTokenInfo().getMaxRwSessionCount(); // C_GetTokenInfo
        } catch (PKCS11Exception | RuntimeException e) {
            return POOL_SIZE;
        }
        return poolSize(POOL_SIZE, max);
    }

    static int poolSize(int configured, long maxRwSessions) {
        if (maxRwSessions <= 0 || maxRwSessions >= 0xFFFFFFFFL || maxRwSessions == Long.MAX_VALUE) {
            return Math.max(1, configured); // 0 = CK_EFFECTIVELY_INFINITE, ~0 = CK_UNAVAILABLE_INFORMATION
        }
        return (int) Math.max(1, Math.min(configured, maxRwSessions - 1));
    }

    /** A session of the pool: an idle one, or a new one while fewer than {@link #poolSize} are out. */
    Session borrow(String tokenName) throws TokenException, PKCS11Exception {
        try {
            if (!permits.tryAcquire(BORROW_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new TokenException(
                        TokenErrorCode.TOKEN_ERROR,
                        "no free session on token " + tokenName + " after " + BORROW_TIMEOUT_SECONDS + " s (pool of "
                                + poolSize + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TokenException(TokenErrorCode.TOKEN_ERROR, "interrupted waiting for a session on " + tokenName);
        }
        Session s = idle.poll();
        if (s != null) {
            return s;
        }
        try {
            return token.openSession(true); // C_OpenSession(CKF_SERIAL_SESSION | CKF_RW_SESSION)
        } catch (PKCS11Exception | RuntimeException e) {
            permits.release();
            throw e;
        }
    }

    /** Returns {@code s} to the pool, or closes it (discarded, this generation dead, the token closed). */
    void giveBack(Session s, boolean discard, boolean tokenClosed) {
        if (discard || dead || tokenClosed || !idle.offer(s)) {
            closeQuietly(s);
        }
        permits.release();
    }

    /** Closes the idle sessions; those still out are closed as they come back (the generation is dead). */
    void closeIdle() {
        Session s;
        while ((s = idle.poll()) != null) {
            closeQuietly(s);
        }
    }

    private static void closeQuietly(Session s) {
        try {
            s.closeSession(); // C_CloseSession
        } catch (PKCS11Exception | RuntimeException e) {
            // the session is already gone (token removed); nothing to release
        }
    }
}
