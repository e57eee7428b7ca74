package dev.custody.pkcs11;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.custody.testhsm.SoftHsm;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * One contract for every backend, run against real SoftHSM2 tokens. A subclass per backend says which
 * backend and, through {@link #supportsKeyManagement()}, whether it can list/find/delete/import keys
 * and read their attributes; where it cannot, the test asserts the clear UNSUPPORTED error instead.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TokenContractTest {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    protected SoftHsm hsm;
    protected SoftHsm.Token tokenInfo;
    protected Pkcs11Backend backend;
    protected HsmToken token;

    protected abstract Pkcs11.Backend backendType();

    /** ipkcs11wrapper: true. SunPKCS11: false (no key search/delete/import/attributes). */
    protected abstract boolean supportsKeyManagement();

    @BeforeAll
    void openToken() throws Exception {
        hsm = SoftHsm.forThisProcess();
        tokenInfo = hsm.createToken(
                getClass().getSimpleName() + "-" + ProcessHandle.current().pid());
        backend = Pkcs11.open(backendType(), SoftHsm.MODULE);
        token = backend.open(
                TokenSelector.byLabel(tokenInfo.label()),
                PinSource.of(tokenInfo.userPin().toCharArray()));
        token.login();
    }

    @AfterAll
    void closeToken() {
        if (token != null) {
            token.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    protected static byte[] newId() {
        byte[] id = new byte[8];
        new SecureRandom().nextBytes(id);
        id[0] = (byte) ((id[0] & 0x7f) | 0x01); // an ID every backend can encode (see SunPkcs11ContractTest)
        return id;
    }

    protected static String newLabel(String what) {
        return what + "-" + COUNTER.incrementAndGet();
    }

    @Test
    void listTokens_showsTheTokenWithItsFlags() throws Exception {
        List<TokenInfo> tokens = backend.listTokens();
        TokenInfo mine = tokens.stream()
                .filter(t -> t.label().equals(tokenInfo.label()))
                .findFirst()
                .orElseThrow();
        assertThat(mine.serial()).isEqualTo(tokenInfo.serial());
        assertThat(mine.manufacturer()).isEqualTo("SoftHSM project");
        assertThat(mine.model()).isEqualTo("SoftHSM v2");
        assertThat(mine.present()).isTrue();
        assertThat(mine.loginRequired()).isTrue();
        assertThat(mine.userPinInitialized()).isTrue();
        assertThat(mine.userPinLocked()).isFalse();
    }

    @Test
    void open_bySerialAndByUri_findTheSameToken() throws Exception {
        try (HsmToken bySerial = backend.open(TokenSelector.bySerial(tokenInfo.serial()), PinSource.none());
                HsmToken byUri = backend.open(
                        TokenSelector.parse("pkcs11:token=" + tokenInfo.label() + ";serial=" + tokenInfo.serial()),
                        PinSource.none())) {
            assertThat(bySerial.info().label()).isEqualTo(tokenInfo.label());
            assertThat(byUri.info().serial()).isEqualTo(tokenInfo.serial());
        }
    }

    @Test
    void open_unknownLabel_isTokenNotFound() {
        assertThatThrownBy(() -> backend.open(TokenSelector.byLabel("no-such-token-" + newId()[0]), PinSource.none()))
                .isInstanceOf(TokenNotFoundException.class)
                .satisfies(e -> assertThat(((TokenException) e).code()).isEqualTo(TokenErrorCode.TOKEN_NOT_FOUND));
    }

    @Test
    void login_withoutPin_isPinRequired() throws Exception {
        try (HsmToken t = backend.open(TokenSelector.byLabel(tokenInfo.label()), PinSource.none())) {
            assertThatThrownBy(t::login)
                    .isInstanceOf(PinRequiredException.class)
                    .hasMessageContaining("custody token unlock");
        }
    }

    @Test
    void generateP256_signatureVerifiesWithTheJdk_rawAndDer() throws Exception {
        TokenKey key = token.generateKeyPair(KeyAlgorithm.EC_P256, newId(), newLabel("sig"));
        byte[] msg = "{\"signed\":{\"_type\":\"Targets\"}}".getBytes(StandardCharsets.UTF_8);

        byte[] raw = token.sign(key.id(), msg, SignatureFormat.RAW);
        assertThat(raw).hasSize(64);
        assertThat(verify(key.publicKey(), msg, EcKeys.rawToDer(raw))).isTrue();

        byte[] der = token.sign(key.id(), msg, SignatureFormat.DER);
        assertThat(der[0]).isEqualTo((byte) 0x30);
        assertThat(verify(key.publicKey(), msg, der)).isTrue();
        assertThat(verify(key.publicKey(), "tampered".getBytes(StandardCharsets.UTF_8), der))
                .isFalse();

        byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(msg);
        assertThat(verify(
                        key.publicKey(), msg, EcKeys.rawToDer(token.signDigest(key.id(), digest, SignatureFormat.RAW))))
                .isTrue();
    }

    @Test
    void generateP256_pkcs11ToolSeesSensitiveNonExtractableKey() throws Exception {
        String label = newLabel("attrs");
        token.generateKeyPair(KeyAlgorithm.EC_P256, newId(), label);
        String listing = Pkcs11Tool.listObjects(hsm, SoftHsm.MODULE.toString(), tokenInfo.label(), tokenInfo.userPin());
        String block = Pkcs11Tool.privateKeyBlock(listing, label);
        assertThat(block)
                .contains("Access:     sensitive, always sensitive, never extractable, local")
                .contains("Usage:      sign");
        assertThat(block).doesNotContain("decrypt").doesNotContain("derive");
    }

    @Test
    void generateP256_privateValueCannotBeRead() throws Exception {
        TokenKey key = token.generateKeyPair(KeyAlgorithm.EC_P256, newId(), newLabel("noread"));
        long ckr = RawPkcs11.readPrivateValue(
                SoftHsm.MODULE, tokenInfo.label(), tokenInfo.userPin().toCharArray(), key.id());
        assertThat(ckr)
                .as("C_GetAttributeValue(CKA_VALUE) must fail with CKR_ATTRIBUTE_SENSITIVE")
                .isEqualTo(CkrConverter.CKR_ATTRIBUTE_SENSITIVE);
    }

    @Test
    void generateP256_attributesThroughOurApi() throws Exception {
        TokenKey key = token.generateKeyPair(KeyAlgorithm.EC_P256, newId(), newLabel("api-attrs"));
        if (!supportsKeyManagement()) {
            assertThatThrownBy(() -> token.privateKeyAttributes(key.id()))
                    .isInstanceOf(UnsupportedByBackendException.class)
                    .hasMessageContaining("pkcs11-tool");
            return;
        }
        PrivateKeyAttributes a = token.privateKeyAttributes(key.id());
        assertThat(a.token()).isTrue();
        assertThat(a.isPrivate()).isTrue();
        assertThat(a.sensitive()).isTrue();
        assertThat(a.extractable()).isFalse();
        assertThat(a.neverExtractable()).isTrue();
        assertThat(a.sign()).isTrue();
        assertThat(a.custodyCompliant()).isTrue();
    }

    @Test
    void sign_eightThreadsConcurrently_allVerify() throws Exception {
        TokenKey key = token.generateKeyPair(KeyAlgorithm.EC_P256, newId(), newLabel("conc"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                final int thread = t;
                Callable<Boolean> job = () -> {
                    for (int i = 0; i < 50; i++) {
                        byte[] msg = ("thread " + thread + " message " + i).getBytes(StandardCharsets.UTF_8);
                        byte[] sig = token.sign(key.id(), msg, SignatureFormat.RAW);
                        if (!verify(key.publicKey(), msg, EcKeys.rawToDer(sig))) {
                            return false;
                        }
                    }
                    return true;
                };
                results.add(pool.submit(job));
            }
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                for (Future<Boolean> f : results) {
                    assertThat(f.get()).isTrue();
                }
            });
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void login_wrongPin_isPinIncorrect_andTheTokenStaysUsable() throws Exception {
        token.logout(); // login state is per process: log out so that C_Login really checks the PIN
        try (HsmToken wrong =
                backend.open(TokenSelector.byLabel(tokenInfo.label()), PinSource.of("0000".toCharArray()))) {
            assertThatThrownBy(wrong::login)
                    .isInstanceOf(PinIncorrectException.class)
                    .hasMessageContaining("NOT retried")
                    .satisfies(e -> {
                        PinIncorrectException p = (PinIncorrectException) e;
                        assertThat(p.code()).isEqualTo(TokenErrorCode.PIN_INCORRECT);
                        assertThat(p.ckrName()).contains("CKR_PIN_INCORRECT");
                        assertThat(p.finalTry()).isFalse();
                    });
            assertThat(wrong.isLoggedIn()).isFalse();
        } finally {
            token.login();
        }
        // one wrong try does not lock SoftHSM2: the right PIN still works
        TokenKey key = token.generateKeyPair(KeyAlgorithm.EC_P256, newId(), newLabel("after-wrong-pin"));
        assertThat(token.sign(key.id(), new byte[] {1}, SignatureFormat.RAW)).hasSize(64);
    }

    @Test
    void ed25519_generatedWhereTheTokenOffersIt() throws Exception {
        if (!supportsKeyManagement()) {
            assertThat(token.supportsEd25519()).isFalse();
            assertThatThrownBy(() -> token.generateKeyPair(KeyAlgorithm.ED25519, newId(), newLabel("ed")))
                    .isInstanceOf(UnsupportedByBackendException.class)
                    .hasMessageContaining("EdDSA");
            return;
        }
        // Debian's SoftHSM2 2.6 is built with OpenSSL 3 and offers EdDSA; CI runs on it.
        assertThat(token.supportsEd25519())
                .as("SoftHSM2 offers CKM_EC_EDWARDS_KEY_PAIR_GEN")
                .isTrue();
        TokenKey key = token.generateKeyPair(KeyAlgorithm.ED25519, newId(), newLabel("ed"));
        byte[] msg = "ed25519 message".getBytes(StandardCharsets.UTF_8);
        byte[] sig = token.sign(key.id(), msg, SignatureFormat.RAW);
        assertThat(sig).hasSize(64);
        Signature v = Signature.getInstance("Ed25519");
        v.initVerify(key.publicKey());
        v.update(msg);
        assertThat(v.verify(sig)).isTrue();
    }

    @Test
    void importPrivateKey_softwareKeyBecomesTokenKey() throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = kpg.generateKeyPair();
        byte[] id = newId();
        if (!supportsKeyManagement()) {
            assertThatThrownBy(() -> token.importPrivateKey(kp.getPrivate(), kp.getPublic(), id, newLabel("imp")))
                    .isInstanceOf(UnsupportedByBackendException.class)
                    .hasMessageContaining("certificate");
            return;
        }
        TokenKey key = token.importPrivateKey(kp.getPrivate(), kp.getPublic(), id, newLabel("imp"));
        assertThat(token.privateKeyAttributes(id).custodyCompliant()).isTrue();
        byte[] msg = "imported".getBytes(StandardCharsets.UTF_8);
        assertThat(verify(kp.getPublic(), msg, token.sign(id, msg, SignatureFormat.DER)))
                .isTrue();
        assertThat(token.findKey(id)).get().extracting(TokenKey::publicKey).isEqualTo(kp.getPublic());
        assertThat(key.idHex()).isEqualTo(java.util.HexFormat.of().formatHex(id));
    }

    @Test
    void listFindDelete_keyInventory() throws Exception {
        byte[] id = newId();
        String label = newLabel("inv");
        TokenKey key = token.generateKeyPair(KeyAlgorithm.EC_P256, id, label);
        if (!supportsKeyManagement()) {
            assertThatThrownBy(token::listKeys)
                    .isInstanceOf(UnsupportedByBackendException.class)
                    .hasMessageContaining("certificate");
            assertThatThrownBy(() -> token.deleteKey(id)).isInstanceOf(UnsupportedByBackendException.class);
            assertThatThrownBy(() -> token.findKey(newId())).isInstanceOf(UnsupportedByBackendException.class);
            assertThat(token.findKey(id)).contains(key);
            return;
        }
        assertThat(token.listKeys()).contains(key);
        assertThat(token.findKey(id)).contains(key);
        // a second token object (as after a daemon restart) finds the key by CKA_ID
        try (HsmToken again = backend.open(
                TokenSelector.bySerial(tokenInfo.serial()),
                PinSource.of(tokenInfo.userPin().toCharArray()))) {
            again.login();
            assertThat(again.findKey(id)).get().extracting(TokenKey::label).isEqualTo(label);
        }
        assertThatThrownBy(() -> token.generateKeyPair(KeyAlgorithm.EC_P256, id, label))
                .isInstanceOf(TokenException.class)
                .hasMessageContaining("already exists");
        token.deleteKey(id);
        assertThat(token.findKey(id)).isEmpty();
        assertThatThrownBy(() -> token.sign(id, new byte[] {1}, SignatureFormat.RAW))
                .isInstanceOf(KeyNotFoundException.class);
        assertThatThrownBy(() -> token.deleteKey(id)).isInstanceOf(KeyNotFoundException.class);
    }

    @Test
    void sign_unknownKey_isKeyNotFound() {
        assertThatThrownBy(() -> token.sign(newId(), new byte[] {1}, SignatureFormat.RAW))
                .isInstanceOf(KeyNotFoundException.class)
                .satisfies(e -> assertThat(((TokenException) e).code()).isEqualTo(TokenErrorCode.KEY_NOT_FOUND));
    }

    static boolean verify(PublicKey key, byte[] msg, byte[] der) throws Exception {
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(key);
        v.update(msg);
        return v.verify(der);
    }
}
