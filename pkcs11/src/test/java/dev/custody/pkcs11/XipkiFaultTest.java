package dev.custody.pkcs11;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.custody.testhsm.FaultShim;
import dev.custody.testhsm.SoftHsm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Token faults through the fault-injecting shim (test-hsm/src/main/c/faultshim.c) wrapping a real
 * SoftHSM2: removal and re-insert, a wrong PIN, a failing C_Sign, low-tries flags.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class XipkiFaultTest {
    private SoftHsm hsm;
    private SoftHsm.Token tokenInfo;
    private FaultShim shim;
    private Pkcs11Backend backend;

    @BeforeAll
    void setUp() throws Exception {
        hsm = SoftHsm.forThisProcess();
        tokenInfo = hsm.createToken("fault-" + ProcessHandle.current().pid());
        shim = FaultShim.create(SoftHsm.MODULE, Files.createDirectories(Path.of("target", "faultshim")));
        backend = Pkcs11.open(Pkcs11.Backend.IPKCS11WRAPPER, shim.modulePath());
    }

    @BeforeEach
    void noFaults() throws Exception {
        shim.clear();
    }

    @AfterAll
    void tearDown() {
        if (backend != null) {
            backend.close();
        }
    }

    private HsmToken open(String pin) throws TokenException {
        return backend.open(TokenSelector.bySerial(tokenInfo.serial()), PinSource.of(pin.toCharArray()));
    }

    private static byte[] newId() {
        byte[] id = new byte[8];
        new SecureRandom().nextBytes(id);
        return id;
    }

    /**
     * One signature, one C_Sign (issue #13): ipkcs11wrapper asks for the length with a second C_Sign, which
     * on a slow token (1–100 ms per call) halves the rate; the JDK wrapper's C_Sign (DirectSign) does not.
     * Concurrent signers on one token each get their own session and all verify.
     */
    @Test
    void sign_oneCSignPerSignature_concurrentOnOneToken() throws Exception {
        try (HsmToken token = open(tokenInfo.userPin())) {
            token.login();
            byte[] id = newId();
            TokenKey key = token.generateKeyPair(KeyAlgorithm.EC_P256, id, "one-call");
            token.sign(id, new byte[] {0}, SignatureFormat.RAW); // the key handle is looked up and cached
            long before = shim.calls("C_Sign");
            java.util.List<java.util.concurrent.Future<Boolean>> all = new java.util.ArrayList<>();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            try {
                for (int i = 0; i < 40; i++) {
                    byte[] msg = ("message " + i).getBytes(StandardCharsets.UTF_8);
                    all.add(pool.submit(() ->
                            TokenContractTest.verify(key.publicKey(), msg, token.sign(id, msg, SignatureFormat.DER))));
                }
                for (var f : all) {
                    assertThat(f.get()).isTrue();
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(shim.calls("C_Sign") - before)
                    .as("C_Sign calls for 40 signatures")
                    .isEqualTo(40);
            token.deleteKey(id);
        }
    }

    @Test
    void removalAndReinsert_failsFastWhileAbsent_thenRecoversWithoutRestart() throws Exception {
        try (HsmToken token = open(tokenInfo.userPin())) {
            token.login();
            byte[] id = newId();
            TokenKey key = token.generateKeyPair(KeyAlgorithm.EC_P256, id, "removal");
            byte[] msg = "before removal".getBytes(StandardCharsets.UTF_8);
            assertThat(TokenContractTest.verify(key.publicKey(), msg, token.sign(id, msg, SignatureFormat.DER)))
                    .isTrue();
            long loginsBefore = shim.calls("C_Login");

            shim.setTokenPresent(false);
            assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
                assertThatThrownBy(() -> token.sign(id, msg, SignatureFormat.RAW))
                        .isInstanceOf(TokenAbsentException.class)
                        .satisfies(e -> assertThat(((TokenException) e).code()).isEqualTo(TokenErrorCode.TOKEN_ABSENT));
                // still absent: the next call fails fast too, without touching a session
                assertThatThrownBy(() -> token.sign(id, msg, SignatureFormat.RAW))
                        .isInstanceOf(TokenAbsentException.class);
                assertThatThrownBy(token::info).isInstanceOf(TokenAbsentException.class);
            });
            assertThat(backend.listTokens())
                    .noneMatch(t -> t.present() && t.serial().equals(tokenInfo.serial()));

            shim.setTokenPresent(true); // the shim closes all sessions, as a real re-insert does
            byte[] again = "after re-insert".getBytes(StandardCharsets.UTF_8);
            byte[] sig = token.sign(id, again, SignatureFormat.DER);
            assertThat(TokenContractTest.verify(key.publicKey(), again, sig)).isTrue();
            assertThat(token.isLoggedIn()).isTrue();
            assertThat(shim.calls("C_Login"))
                    .as("logged in again exactly once, from the PIN source")
                    .isEqualTo(loginsBefore + 1);
            token.deleteKey(id);
        }
    }

    @Test
    void wrongPin_isAttemptedExactlyOnce_andNeverReusedAfterReinsert() throws Exception {
        try (HsmToken token = open("999999")) {
            long before = shim.calls("C_Login");
            assertThatThrownBy(token::login).isInstanceOf(PinIncorrectException.class);
            assertThat(shim.calls("C_Login"))
                    .as("C_Login calls for one wrong PIN")
                    .isEqualTo(before + 1);

            // a re-insert must not make the layer try the known-wrong PIN again on its own
            shim.setTokenPresent(false);
            shim.setTokenPresent(true);
            assertThatThrownBy(() -> token.sign(newId(), new byte[] {1}, SignatureFormat.RAW))
                    .isInstanceOf(TokenException.class);
            assertThat(shim.calls("C_Login")).isEqualTo(before + 1);
        }
    }

    @Test
    void wrongPin_onTheFinalTry_saysSo() throws Exception {
        shim.failLogin(FaultShim.CKR_PIN_INCORRECT);
        shim.tokenFlags(FaultShim.CKF_USER_PIN_FINAL_TRY | FaultShim.CKF_USER_PIN_COUNT_LOW, 0);
        try (HsmToken token = open(tokenInfo.userPin())) {
            assertThatThrownBy(token::login)
                    .isInstanceOf(PinIncorrectException.class)
                    .hasMessageContaining("ONE try left")
                    .satisfies(e -> {
                        PinIncorrectException p = (PinIncorrectException) e;
                        assertThat(p.finalTry()).isTrue();
                        assertThat(p.countLow()).isTrue();
                    });
        }
    }

    @Test
    void lockedPin_isReportedWithoutCallingLogin() throws Exception {
        shim.tokenFlags(FaultShim.CKF_USER_PIN_LOCKED, 0);
        try (HsmToken token = open(tokenInfo.userPin())) {
            long before = shim.calls("C_Login");
            assertThatThrownBy(token::login)
                    .isInstanceOf(PinLockedException.class)
                    .hasMessageContaining("security officer");
            assertThat(shim.calls("C_Login")).isEqualTo(before);
        }
    }

    @Test
    void failingSign_surfacesTheCkr_andTheNextSignWorks() throws Exception {
        try (HsmToken token = open(tokenInfo.userPin())) {
            token.login();
            byte[] id = newId();
            token.generateKeyPair(KeyAlgorithm.EC_P256, id, "device-error");
            shim.failNthCall("C_Sign", 1, FaultShim.CKR_DEVICE_ERROR);
            assertThatThrownBy(() -> token.sign(id, new byte[] {1}, SignatureFormat.RAW))
                    .isInstanceOf(TokenException.class)
                    .hasMessageContaining("CKR_DEVICE_ERROR")
                    .satisfies(e -> {
                        TokenException t = (TokenException) e;
                        assertThat(t.code()).isEqualTo(TokenErrorCode.TOKEN_ERROR);
                        assertThat(t.ckr()).contains(FaultShim.CKR_DEVICE_ERROR);
                    });
            assertThat(token.sign(id, new byte[] {1}, SignatureFormat.RAW)).hasSize(64);
            token.deleteKey(id);
        }
    }

    @Test
    void absentAtOpen_isTokenNotFound_andPresentLaterOpens() throws Exception {
        shim.setTokenPresent(false);
        assertThatThrownBy(() -> open(tokenInfo.userPin())).isInstanceOf(TokenNotFoundException.class);
        shim.setTokenPresent(true);
        try (HsmToken token = open(tokenInfo.userPin())) {
            token.login();
            assertThat(token.info().serial()).isEqualTo(tokenInfo.serial());
        }
    }
}
