package dev.custody.testhsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault shim against real SoftHSM2: pkcs11-tool (one process per command) for forwarding and
 * cross-process control, the probe (one process, many calls) for session-level behaviour.
 */
class FaultShimTest {
    private static final Duration LIMIT = Duration.ofSeconds(90);

    @TempDir
    Path tmp;

    private SoftHsm.Token token;
    private FaultShim shim;

    @BeforeEach
    void setUp() throws IOException {
        token = SoftHsm.forThisProcess()
                .createToken("fs-" + UUID.randomUUID().toString().substring(0, 8));
        shim = FaultShim.create(SoftHsm.MODULE, tmp);
    }

    @AfterEach
    void deleteToken() throws IOException {
        // the token directory lives as long as target/: keep it from growing run after run
        SoftHsm.forThisProcess().deleteToken(token.label());
    }

    private Pkcs11Tool.Result tool(String pin, String... args) throws IOException {
        return Pkcs11Tool.run(shim.modulePath(), pin, args);
    }

    private Probe probeLoggedIn() throws IOException {
        Probe p = Probe.start(shim.modulePath(), token.userPin());
        p.ok("init");
        p.ok("find " + token.label());
        p.ok("open");
        p.ok("login 0");
        return p;
    }

    /** {@code pkcs11-tool --keypairgen} of a P-256 key pair with this label and ID on the token, through the shim. */
    private Pkcs11Tool.Result generateP256(String label, String id) throws Exception {
        return tool(
                token.userPin(),
                "--token-label",
                token.label(),
                "--keypairgen",
                "--key-type",
                "EC:prime256v1",
                "--label",
                label,
                "--id",
                id);
    }

    @Test
    void forwarding_listsGeneratesAndSignsThroughTheShim() {
        assertTimeoutPreemptively(LIMIT, () -> {
            assertThat(tool(null, "--list-slots").assertOk().output())
                    .contains("token label        : " + token.label())
                    .contains(token.serial());

            generateP256("k1", "01").assertOk();

            byte[] digest = new byte[32];
            new java.security.SecureRandom().nextBytes(digest);
            Path in = Files.write(tmp.resolve("digest"), digest);
            Path sig = tmp.resolve("sig.der");
            tool(
                            token.userPin(),
                            "--token-label",
                            token.label(),
                            "--sign",
                            "-m",
                            "ECDSA",
                            "--id",
                            "01",
                            "-i",
                            in.toString(),
                            "-o",
                            sig.toString(),
                            "--signature-format",
                            "openssl")
                    .assertOk();
            Path pub = tmp.resolve("pub.der");
            tool(
                            null,
                            "--token-label",
                            token.label(),
                            "--read-object",
                            "--type",
                            "pubkey",
                            "--id",
                            "01",
                            "-o",
                            pub.toString())
                    .assertOk();

            PublicKey key =
                    KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(Files.readAllBytes(pub)));
            Signature verifier = Signature.getInstance("NONEwithECDSA");
            verifier.initVerify(key);
            verifier.update(digest);
            assertThat(verifier.verify(Files.readAllBytes(sig)))
                    .as("signature made through the shim verifies")
                    .isTrue();

            // the counts are those of the last process (the --read-object run): no login, no signing
            assertThat(shim.calls("C_Login")).isZero();
            assertThat(shim.calls("C_GetFunctionList")).isEqualTo(1);
            assertThat(shim.calls("C_FindObjectsInit")).isPositive();
        });
    }

    @Test
    void calls_countsEveryForwardedCallOfTheLastProcess() {
        assertTimeoutPreemptively(LIMIT, () -> {
            assertThat(shim.calls()).isEmpty();
            generateP256("k1", "01").assertOk();
            Map<String, Long> calls = shim.calls();
            assertThat(calls)
                    .containsEntry("C_Initialize", 1L)
                    .containsEntry("C_Finalize", 1L)
                    .containsEntry("C_Login", 1L)
                    .containsEntry("C_GenerateKeyPair", 1L);
            assertThat(calls).doesNotContainKey("C_Sign");
            assertThat(Files.readString(shim.countsFile())).startsWith("pid=");
        });
    }

    @Test
    void tokenAbsent_hidesTheTokenUntilReinserted() {
        assertTimeoutPreemptively(LIMIT, () -> {
            assertThat(tool(null, "--list-token-slots").assertOk().output()).contains(token.label());

            shim.setTokenPresent(false);
            Pkcs11Tool.Result absent = tool(null, "--list-slots");
            assertThat(absent.output()).doesNotContain(token.label()).contains("(empty)");
            Pkcs11Tool.Result open = tool(null, "--token-label", token.label(), "--list-objects");
            assertThat(open.exit()).isNotZero();

            shim.setTokenPresent(true);
            assertThat(tool(null, "--list-token-slots").assertOk().output()).contains(token.label());
        });
    }

    @Test
    void tokenAbsent_failsCallsAndReinsertInvalidatesOldSessions() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (Probe p = probeLoggedIn()) {
                p.ok("keygen 0 k1");
                p.ok("sign 0");
                assertThat(p.ok("sessioninfo 0").get("state")).isEqualTo("3"); // CKS_RW_USER_FUNCTIONS

                shim.setTokenPresent(false);
                assertThat(p.call("sign 0").ckr()).isEqualTo("CKR_DEVICE_REMOVED");
                assertThat(p.call("sessioninfo 0").ckr()).isEqualTo("CKR_DEVICE_REMOVED");
                assertThat(p.call("open").ckr()).isEqualTo("CKR_TOKEN_NOT_PRESENT");
                assertThat(p.call("login 0").ckr()).isEqualTo("CKR_TOKEN_NOT_PRESENT");
                assertThat(p.call("tokeninfo").ckr()).isEqualTo("CKR_TOKEN_NOT_PRESENT");
                assertThat(p.ok("slotinfo").get("present")).isEqualTo("0");
                assertThat(p.ok("slots").get("count")).isEqualTo("0");
                assertThat(Long.parseLong(p.ok("allslots").get("count"))).isPositive();

                shim.setTokenPresent(true);
                // a real re-insert: the old session is gone and the user is logged out
                assertThat(p.call("sign 0").ckr()).isEqualTo("CKR_SESSION_HANDLE_INVALID");
                assertThat(p.ok("slotinfo").get("present")).isEqualTo("1");
                assertThat(p.ok("open").get("session")).isEqualTo("1");
                assertThat(p.ok("sessioninfo 1").get("state")).isEqualTo("2"); // CKS_RW_PUBLIC_SESSION
                p.ok("login 1");
                p.ok("key 1 k1");
                assertThat(p.ok("sign 1").get("len")).isEqualTo("64");
            }
        });
    }

    @Test
    void tokenAbsent_reinsertWithoutAnyCallInBetweenStillDropsSessions() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (Probe p = probeLoggedIn()) {
                p.ok("keygen 0 k1");
                shim.setTokenPresent(false);
                shim.setTokenPresent(true); // the probe never saw the token absent
                assertThat(p.call("sign 0").ckr()).isEqualTo("CKR_SESSION_HANDLE_INVALID");
            }
        });
    }

    @Test
    void failNthCall_failsExactlyThatCallAndEndsTheOperation() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (Probe p = probeLoggedIn()) {
                p.ok("keygen 0 k1");
                p.ok("sign 0"); // before the rule: not counted
                shim.failNthCall("C_Sign", 2, FaultShim.CKR_DEVICE_ERROR);
                p.ok("sign 0");
                Probe.Reply second = p.call("sign 0");
                assertThat(second.ckr()).isEqualTo("CKR_DEVICE_ERROR");
                assertThat(second.get("at")).isEqualTo("C_Sign");
                // the failed C_Sign ended the module's operation, so C_SignInit works again
                p.ok("sign 0");
                p.ok("sign 0");
                assertThat(shim.calls("C_Sign")).isEqualTo(5);
            }
        });
    }

    @Test
    void failNthCall_ruleWrittenAgainCountsAfresh() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (Probe p = probeLoggedIn()) {
                p.ok("keygen 0 k1");
                shim.failNthCall("C_Sign", 1, FaultShim.CKR_DEVICE_ERROR);
                assertThat(p.call("sign 0").ckr()).isEqualTo("CKR_DEVICE_ERROR");
                p.ok("sign 0");
                shim.latency("C_GetSessionInfo", 1); // rewrites the file; the spent rule stays spent
                p.ok("sign 0");
                shim.failNthCall("C_Sign", 1, FaultShim.CKR_GENERAL_ERROR);
                assertThat(p.call("sign 0").ckr()).isEqualTo("CKR_GENERAL_ERROR");
            }
        });
    }

    @Test
    void failAlways_failsEveryCallUntilCleared() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (Probe p = probeLoggedIn()) {
                p.ok("keygen 0 k1");
                shim.failAlways("C_SignInit", FaultShim.CKR_FUNCTION_FAILED);
                for (int i = 0; i < 3; i++) {
                    Probe.Reply r = p.call("sign 0");
                    assertThat(r.ckr()).isEqualTo("CKR_FUNCTION_FAILED");
                    assertThat(r.get("at")).isEqualTo("C_SignInit");
                }
                shim.clear();
                p.ok("sign 0");
            }
        });
    }

    @Test
    void failFromNthCall_passesTheFirstCalls() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (Probe p = probeLoggedIn()) {
                p.ok("keygen 0 k1");
                shim.failFromNthCall("C_Sign", 3, FaultShim.CKR_DEVICE_MEMORY);
                p.ok("sign 0");
                p.ok("sign 0");
                assertThat(p.call("sign 0").ckr()).isEqualTo("CKR_DEVICE_MEMORY");
                assertThat(p.call("sign 0").ckr()).isEqualTo("CKR_DEVICE_MEMORY");
            }
        });
    }

    @Test
    void failNthCall_reachesChildProcessesToo() {
        assertTimeoutPreemptively(LIMIT, () -> {
            shim.failNthCall("C_GenerateKeyPair", 1, FaultShim.CKR_DEVICE_MEMORY);
            Pkcs11Tool.Result r = generateP256("k1", "01");
            assertThat(r.exit()).isNotZero();
            assertThat(r.output()).contains("CKR_DEVICE_MEMORY");
            assertThat(shim.calls("C_GenerateKeyPair")).isEqualTo(1);
        });
    }

    @Test
    void latency_delaysEachCallOfThatFunction() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (Probe p = probeLoggedIn()) {
                p.ok("keygen 0 k1");
                shim.latency("C_Sign", 400);
                long t0 = System.nanoTime();
                p.ok("sign 0");
                long slow = System.nanoTime() - t0;
                assertThat(Duration.ofNanos(slow)).isGreaterThanOrEqualTo(Duration.ofMillis(400));

                shim.latency("C_Sign", 0);
                t0 = System.nanoTime();
                p.ok("sign 0");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofMillis(400));
            }
        });
    }

    @Test
    void wrongPin_isTriedExactlyOnce() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Pkcs11Tool.Result r = tool("0000", "--token-label", token.label(), "--list-objects");
            assertThat(r.exit()).isNotZero();
            assertThat(r.output()).contains("CKR_PIN_INCORRECT");
            assertThat(shim.calls("C_Login")).isEqualTo(1);
        });
    }

    @Test
    void failLogin_rejectsTheRightPinWithoutReachingTheToken() {
        assertTimeoutPreemptively(LIMIT, () -> {
            shim.failLogin(FaultShim.CKR_PIN_INCORRECT);
            Pkcs11Tool.Result r = tool(token.userPin(), "--token-label", token.label(), "--list-objects");
            assertThat(r.exit()).isNotZero();
            assertThat(r.output()).contains("CKR_PIN_INCORRECT");
            assertThat(shim.calls("C_Login")).isEqualTo(1);

            try (Probe p = Probe.start(shim.modulePath(), token.userPin())) {
                p.ok("init");
                p.ok("find " + token.label());
                p.ok("open");
                assertThat(p.call("login 0").ckr()).isEqualTo("CKR_PIN_INCORRECT");
                // SoftHSM2 sets CKF_USER_PIN_COUNT_LOW after a wrong PIN it has seen; it saw none
                long flags = Long.decode(p.ok("tokeninfo").get("flags"));
                assertThat(flags & FaultShim.CKF_USER_PIN_COUNT_LOW).isZero();
                shim.clear();
                p.ok("login 0");
            }
        });
    }

    @Test
    void tokenFlags_alterWhatTokenInfoReports() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (Probe p = Probe.start(shim.modulePath(), token.userPin())) {
                p.ok("init");
                p.ok("find " + token.label());
                long before = Long.decode(p.ok("tokeninfo").get("flags"));
                assertThat(before & 0x4L).as("CKF_LOGIN_REQUIRED").isNotZero();
                shim.tokenFlags(FaultShim.CKF_USER_PIN_FINAL_TRY, 0x4L);
                long after = Long.decode(p.ok("tokeninfo").get("flags"));
                assertThat(after).isEqualTo((before | FaultShim.CKF_USER_PIN_FINAL_TRY) & ~0x4L);
            }
        });
    }

    @Test
    void rejectedControlFile_isReportedAndThePreviousVersionStays() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (Probe p = Probe.start(shim.modulePath(), token.userPin())) {
                p.ok("init");
                shim.setTokenPresent(false);
                assertThat(p.ok("slots").get("count")).isEqualTo("0");
                Files.writeString(shim.controlFile(), "token gone\n");
                // this process read a good version before: that one stays in force
                assertThat(p.ok("slots").get("count")).isEqualTo("0");
                assertThatThrownBy(() -> shim.calls("C_GetSlotList"))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("line 1: expected: token present|absent");
            }
            // a process that never read a good version runs without faults, and says why on stderr
            Pkcs11Tool.Result r = tool(null, "--list-slots");
            assertThat(r.output())
                    .contains("faultshim: " + shim.controlFile() + ": line 1:")
                    .contains(token.label());
        });
    }

    @Test
    void environment_overridesAMissingConf() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path bare = Files.createDirectories(tmp.resolve("bare")).resolve("shim.so");
            Files.copy(FaultShim.library(), bare);
            Pkcs11Tool.Result none = Pkcs11Tool.run(bare, null, "--list-slots");
            assertThat(none.exit()).isNotZero();
            assertThat(none.output()).contains("faultshim: no real module configured");

            Path control = tmp.resolve("bare/control");
            Files.writeString(control, "fail C_GetSlotInfo 1 CKR_DEVICE_ERROR always\n");
            Pkcs11Tool.Result env = Pkcs11Tool.run(
                    bare,
                    null,
                    Map.of(
                            "CUSTODY_FAULT_MODULE", SoftHsm.MODULE.toString(),
                            "CUSTODY_FAULT_CONTROL", control.toString()),
                    "--list-token-slots");
            assertThat(env.output()).contains("CKR_DEVICE_ERROR");
            assertThat(Files.readString(tmp.resolve("bare/control.counts")))
                    .containsPattern("(?m)^C_GetSlotInfo=[1-9]");
        });
    }

    @Test
    void create_givesEachShimItsOwnFiles() throws IOException {
        FaultShim other = FaultShim.create(SoftHsm.MODULE, tmp);
        assertThat(other.modulePath()).isNotEqualTo(shim.modulePath());
        assertThat(other.controlFile()).isNotEqualTo(shim.controlFile());
        assertThat(Files.readString(Path.of(shim.modulePath() + ".conf")))
                .contains("module=" + shim.realModule())
                .contains("control=" + shim.controlFile());
        assertThat(HexFormat.of().formatHex(Files.readAllBytes(shim.realModule()), 0, 4))
                .isEqualTo("7f454c46"); // an ELF copy of the real module
        assertThat(Files.readString(shim.controlFile())).contains("token present insertion=0");
    }

    @Test
    void arguments_areCheckedBeforeAnythingIsWritten() throws IOException {
        String before = Files.readString(shim.controlFile());
        assertThatThrownBy(() -> shim.failNthCall("C_Sgin", 1, FaultShim.CKR_DEVICE_ERROR))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("C_Sgin");
        assertThatThrownBy(() -> shim.failNthCall("C_Sign", 0, FaultShim.CKR_DEVICE_ERROR))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> shim.failAlways("C_Sign", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> shim.latency("C_Sign", -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> shim.calls("Sign")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.readString(shim.controlFile())).isEqualTo(before);
    }
}
