package dev.custody.testhsm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A fault-injecting PKCS#11 module wrapping a real one (see {@code faultshim.c} for the semantics).
 *
 * <p>Call sequence: {@link #create(Path, Path)} → hand {@link #modulePath()} to the code under test
 * (in this JVM or a child process) → inject faults ({@link #setTokenPresent(boolean)},
 * {@link #failNthCall(String, int, long)}, {@link #latency(String, int)}, {@link #failLogin(long)}, …)
 * → check what reached the token with {@link #calls(String)} → {@link #clear()}.
 *
 * <p>Each instance lives in its own directory: a copy of the compiled shim, its {@code .conf}, the
 * control file and the counts file. The shim wraps a private copy of the real module, so the
 * wrapped SoftHSM2 instance has its own PKCS#11 state even when the same JVM also loads
 * {@code libsofthsm2.so} directly (one {@code C_Finalize} cannot pull the module from under the
 * other). Both instances still share the token directory named by {@code SOFTHSM2_CONF}.
 *
 * <p>Every mutator rewrites the whole control file atomically and gives it a strictly newer mtime,
 * so the shim sees each version; the effect starts with the next PKCS#11 call. Fault rules are
 * counted from the moment they are written. Call counts are those of the process that made the last
 * call through this shim (they start at zero in each process that loads it).
 */
public final class FaultShim {
    public static final long CKR_GENERAL_ERROR = 0x05L;
    public static final long CKR_FUNCTION_FAILED = 0x06L;
    public static final long CKR_DEVICE_ERROR = 0x30L;
    public static final long CKR_DEVICE_MEMORY = 0x31L;
    public static final long CKR_DEVICE_REMOVED = 0x32L;
    public static final long CKR_PIN_INCORRECT = 0xA0L;
    public static final long CKR_PIN_LOCKED = 0xA4L;
    public static final long CKR_SESSION_HANDLE_INVALID = 0xB3L;
    public static final long CKR_TOKEN_NOT_PRESENT = 0xE0L;
    public static final long CKR_USER_NOT_LOGGED_IN = 0x101L;

    public static final long CKF_USER_PIN_COUNT_LOW = 0x10000L;
    public static final long CKF_USER_PIN_FINAL_TRY = 0x20000L;
    public static final long CKF_USER_PIN_LOCKED = 0x40000L;

    /** Every function of CK_FUNCTION_LIST (PKCS#11 2.40), in its order; the names the shim knows. */
    public static final List<String> FUNCTIONS = List.of(
            "C_Initialize",
            "C_Finalize",
            "C_GetInfo",
            "C_GetFunctionList",
            "C_GetSlotList",
            "C_GetSlotInfo",
            "C_GetTokenInfo",
            "C_GetMechanismList",
            "C_GetMechanismInfo",
            "C_InitToken",
            "C_InitPIN",
            "C_SetPIN",
            "C_OpenSession",
            "C_CloseSession",
            "C_CloseAllSessions",
            "C_GetSessionInfo",
            "C_GetOperationState",
            "C_SetOperationState",
            "C_Login",
            "C_Logout",
            "C_CreateObject",
            "C_CopyObject",
            "C_DestroyObject",
            "C_GetObjectSize",
            "C_GetAttributeValue",
            "C_SetAttributeValue",
            "C_FindObjectsInit",
            "C_FindObjects",
            "C_FindObjectsFinal",
            "C_EncryptInit",
            "C_Encrypt",
            "C_EncryptUpdate",
            "C_EncryptFinal",
            "C_DecryptInit",
            "C_Decrypt",
            "C_DecryptUpdate",
            "C_DecryptFinal",
            "C_DigestInit",
            "C_Digest",
            "C_DigestUpdate",
            "C_DigestKey",
            "C_DigestFinal",
            "C_SignInit",
            "C_Sign",
            "C_SignUpdate",
            "C_SignFinal",
            "C_SignRecoverInit",
            "C_SignRecover",
            "C_VerifyInit",
            "C_Verify",
            "C_VerifyUpdate",
            "C_VerifyFinal",
            "C_VerifyRecoverInit",
            "C_VerifyRecover",
            "C_DigestEncryptUpdate",
            "C_DecryptDigestUpdate",
            "C_SignEncryptUpdate",
            "C_DecryptVerifyUpdate",
            "C_GenerateKey",
            "C_GenerateKeyPair",
            "C_WrapKey",
            "C_UnwrapKey",
            "C_DeriveKey",
            "C_SeedRandom",
            "C_GenerateRandom",
            "C_GetFunctionStatus",
            "C_CancelFunction",
            "C_WaitForSlotEvent");

    private static final Set<String> KNOWN = Set.copyOf(FUNCTIONS);
    private static final int MAX_LATENCY_MS = 600_000;
    private static final int MAX_RULES = 64;

    private final Path dir;
    private final Path module;
    private final Path realModule;
    private final Path control;
    private final Path counts;

    // the state the control file renders; guarded by this
    private boolean present = true;
    private long insertion;
    private final List<String> rules = new ArrayList<>();
    private final Map<String, Integer> latencies = new LinkedHashMap<>();
    private long flagsSet;
    private long flagsClear;
    private long nextRuleId = 1;
    private FileTime lastWritten = FileTime.fromMillis(0);

    private FaultShim(Path dir, Path module, Path realModule) {
        this.dir = dir;
        this.module = module;
        this.realModule = realModule;
        this.control = dir.resolve("control");
        this.counts = dir.resolve("control.counts");
    }

    /** The compiled shim in the build cache (gcc runs once per source version). */
    public static Path library() throws IOException {
        return NativeBuild.build(
                NativeBuild.Kind.SHARED_LIBRARY, "faultshim.c", "libcustody-faultshim.so", List.of("custody_ckr.h"));
    }

    /**
     * A new shim in a fresh subdirectory of {@code workDir}, wrapping a private copy of
     * {@code realModule}, token present and no faults.
     */
    public static FaultShim create(Path realModule, Path workDir) throws IOException {
        if (!Files.isRegularFile(realModule)) {
            throw new NoSuchFileException(realModule.toString(), null, "real PKCS#11 module not found");
        }
        Path lib = library();
        Files.createDirectories(workDir);
        Path dir = Files.createTempDirectory(workDir.toAbsolutePath(), "faultshim-");
        Path module = dir.resolve("libcustody-faultshim.so");
        Path real = dir.resolve("real-" + realModule.getFileName());
        Files.copy(lib, module);
        Files.copy(realModule, real);
        FaultShim shim = new FaultShim(dir, module, real);
        Files.writeString(
                dir.resolve(module.getFileName() + ".conf"),
                "# written by " + FaultShim.class.getName() + " for " + realModule + "\n"
                        + "module=" + real + "\n"
                        + "control=" + shim.control + "\n",
                StandardCharsets.UTF_8);
        synchronized (shim) {
            shim.writeControl();
        }
        return shim;
    }

    /** The shim module to load instead of the real one. */
    public Path modulePath() {
        return module;
    }

    /** The private copy of the real module that the shim forwards to. */
    public Path realModule() {
        return realModule;
    }

    public Path controlFile() {
        return control;
    }

    public Path countsFile() {
        return counts;
    }

    /**
     * Removes ({@code false}) or re-inserts ({@code true}) the token of every slot. A re-insert closes
     * every session opened before the removal and logs the user out, at the next PKCS#11 call.
     */
    public synchronized void setTokenPresent(boolean present) throws IOException {
        if (present && !this.present) {
            insertion++;
        }
        this.present = present;
        writeControl();
    }

    /** The {@code n}th call of {@code function} from now returns {@code ckr}, once. */
    public synchronized void failNthCall(String function, int n, long ckr) throws IOException {
        addRule(function, n, ckr, "once");
    }

    /** The {@code n}th and every later call of {@code function} from now return {@code ckr}. */
    public synchronized void failFromNthCall(String function, int n, long ckr) throws IOException {
        addRule(function, n, ckr, "always");
    }

    /** Every call of {@code function} from now returns {@code ckr}. */
    public synchronized void failAlways(String function, long ckr) throws IOException {
        addRule(function, 1, ckr, "always");
    }

    /** Every C_Login from now returns {@code ckr} (e.g. {@link #CKR_PIN_INCORRECT}) without reaching the token. */
    public synchronized void failLogin(long ckr) throws IOException {
        checkCkr(ckr);
        checkRoom();
        rules.add("login-fail 0x" + Long.toHexString(ckr) + " id=" + nextRuleId++);
        writeControl();
    }

    /** Adds {@code millis} (0 removes it) before every call of {@code function}. */
    public synchronized void latency(String function, int millis) throws IOException {
        checkFunction(function);
        if (millis < 0 || millis > MAX_LATENCY_MS) {
            throw new IllegalArgumentException("latency must be 0.." + MAX_LATENCY_MS + " ms, got " + millis);
        }
        if (millis == 0) {
            latencies.remove(function);
        } else {
            latencies.put(function, millis);
        }
        writeControl();
    }

    /**
     * Alters the flags C_GetTokenInfo reports: {@code set} is OR-ed in, {@code clear} removed
     * (e.g. {@link #CKF_USER_PIN_COUNT_LOW}). Replaces earlier calls.
     */
    public synchronized void tokenFlags(long set, long clear) throws IOException {
        if (set < 0 || clear < 0 || (set & clear) != 0) {
            throw new IllegalArgumentException("flag masks must be non-negative and disjoint");
        }
        flagsSet = set;
        flagsClear = clear;
        writeControl();
    }

    /** Drops every fault, latency and flag change; a removed token is re-inserted. */
    public synchronized void clear() throws IOException {
        rules.clear();
        latencies.clear();
        flagsSet = 0;
        flagsClear = 0;
        if (!present) {
            present = true;
            insertion++;
        }
        writeControl();
    }

    /**
     * Calls of {@code function} that reached the shim in the process that used it last.
     *
     * @throws IllegalStateException if the shim rejected the control file
     */
    public long calls(String function) throws IOException {
        checkFunction(function);
        return calls().getOrDefault(function, 0L);
    }

    /** All non-zero call counts, by function name. */
    public Map<String, Long> calls() throws IOException {
        List<String> lines;
        try {
            lines = Files.readAllLines(counts, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Map.of(); // nothing has called the shim yet
        }
        Map<String, Long> result = new LinkedHashMap<>();
        for (String line : lines) {
            int eq = line.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            if (key.equals("error")) {
                throw new IllegalStateException("the fault shim rejected " + control + ": " + value);
            }
            if (KNOWN.contains(key)) {
                result.put(key, Long.parseLong(value));
            }
        }
        return Collections.unmodifiableMap(result);
    }

    @Override
    public String toString() {
        return "FaultShim[" + dir + "]";
    }

    private void addRule(String function, int n, long ckr, String mode) throws IOException {
        checkFunction(function);
        checkCkr(ckr);
        if (n < 1) {
            throw new IllegalArgumentException("n counts calls from 1, got " + n);
        }
        checkRoom();
        rules.add("fail " + function + " " + n + " 0x" + Long.toHexString(ckr) + " " + mode + " id=" + nextRuleId++);
        writeControl();
    }

    private void checkRoom() {
        if (rules.size() >= MAX_RULES) {
            throw new IllegalStateException("the shim holds at most " + MAX_RULES + " fail rules; call clear()");
        }
    }

    private static void checkFunction(String function) {
        if (!KNOWN.contains(function)) {
            throw new IllegalArgumentException("not a PKCS#11 2.40 function: " + function);
        }
    }

    private static void checkCkr(long ckr) {
        if (ckr <= 0 || ckr > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(
                    "an injected CKR must be 0x1..0xFFFFFFFF, got 0x" + Long.toHexString(ckr));
        }
    }

    /** Renders the state; caller holds this. */
    private void writeControl() throws IOException {
        StringBuilder sb = new StringBuilder("# written by ")
                .append(FaultShim.class.getName())
                .append('\n');
        sb.append("token ")
                .append(present ? "present" : "absent")
                .append(" insertion=")
                .append(insertion)
                .append('\n');
        for (String rule : rules) {
            sb.append(rule).append('\n');
        }
        latencies.forEach((fn, ms) ->
                sb.append("latency ").append(fn).append(' ').append(ms).append('\n'));
        if (flagsSet != 0) {
            sb.append("token-flags set 0x").append(Long.toHexString(flagsSet)).append('\n');
        }
        if (flagsClear != 0) {
            sb.append("token-flags clear 0x")
                    .append(Long.toHexString(flagsClear))
                    .append('\n');
        }
        Path tmp = Files.createTempFile(dir, "control-", ".tmp");
        try {
            Files.writeString(tmp, sb, StandardCharsets.UTF_8);
            // The shim notices a new version by inode, size and mtime; make sure the mtime moves on
            // even when two versions are written within one tick of the file system clock.
            Instant now = Instant.now();
            Instant floor = lastWritten.toInstant().plus(1, ChronoUnit.MICROS);
            FileTime stamp = FileTime.from(now.isAfter(floor) ? now : floor);
            Files.setLastModifiedTime(tmp, stamp);
            Files.move(tmp, control, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            lastWritten = stamp;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
