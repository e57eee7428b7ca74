package dev.custody.pkcs11.sunpkcs11;

import dev.custody.pkcs11.EcKeys;
import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.KeyAlgorithm;
import dev.custody.pkcs11.KeyNotFoundException;
import dev.custody.pkcs11.PinIncorrectException;
import dev.custody.pkcs11.PinLockedException;
import dev.custody.pkcs11.PinRequiredException;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.PrivateKeyAttributes;
import dev.custody.pkcs11.SignatureFormat;
import dev.custody.pkcs11.TokenAbsentException;
import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import dev.custody.pkcs11.TokenKey;
import dev.custody.pkcs11.TokenSelector;
import dev.custody.pkcs11.UnsupportedByBackendException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** A token through a SunPKCS11 provider instance configured inline for its slot. */
final class SunPkcs11Token implements HsmToken {
    private final Path module;
    private final TokenSelector selector;
    private final JdkSlots slots;
    private final PinSource pins;
    private final String name;
    private final long slotId;
    private final Provider provider;
    private final Map<String, Entry> generated = new ConcurrentHashMap<>();
    private volatile boolean loggedIn;

    private record Entry(TokenKey key, PrivateKey privateKey, Provider provider) {}

    SunPkcs11Token(Path module, TokenInfo info, TokenSelector selector, JdkSlots slots, PinSource pins)
            throws TokenException {
        this.module = module;
        this.selector = selector;
        this.slots = slots;
        this.pins = pins;
        this.name = info.displayName();
        this.slotId = info.slotId();
        this.provider = configure(config(null, null));
    }

    /** Inline provider configuration: the slot, and (for key generation) the key template. */
    private String config(byte[] id, String label) {
        StringBuilder c = new StringBuilder();
        c.append("name = Custody-")
                .append(Long.toUnsignedString(slotId))
                .append(id == null ? "" : "-gen")
                .append('\n');
        c.append("library = ").append(module).append('\n');
        c.append("slot = ").append(slotId).append('\n');
        if (id != null) {
            String idHex = "0h" + HexFormat.of().formatHex(id);
            String labelHex = "0h" + HexFormat.of().formatHex(label.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            c.append("attributes(generate, CKO_PRIVATE_KEY, CKK_EC) = {\n")
                    .append(
                            "  CKA_TOKEN = true\n  CKA_PRIVATE = true\n  CKA_SENSITIVE = true\n  CKA_EXTRACTABLE = false\n")
                    .append("  CKA_SIGN = true\n  CKA_DECRYPT = false\n  CKA_DERIVE = false\n  CKA_UNWRAP = false\n")
                    .append("  CKA_ID = ")
                    .append(idHex)
                    .append("\n  CKA_LABEL = ")
                    .append(labelHex)
                    .append("\n}\n");
            c.append("attributes(generate, CKO_PUBLIC_KEY, CKK_EC) = {\n")
                    .append("  CKA_TOKEN = true\n  CKA_PRIVATE = false\n  CKA_VERIFY = true\n")
                    .append("  CKA_ID = ")
                    .append(idHex)
                    .append("\n  CKA_LABEL = ")
                    .append(labelHex)
                    .append("\n}\n");
        }
        return c.toString();
    }

    private static Provider configure(String config) throws TokenException {
        try {
            // "--" marks inline configuration text: nothing is written to disk.
            return java.security.Security.getProvider("SunPKCS11").configure("--" + config);
        } catch (RuntimeException e) {
            throw new TokenException(
                    TokenErrorCode.MODULE_ERROR,
                    "SunPKCS11 rejected the configuration: " + e.getMessage(),
                    null,
                    null,
                    e);
        }
    }

    @Override
    public String backendName() {
        return SunPkcs11Backend.NAME;
    }

    @Override
    public TokenInfo info() throws TokenException {
        for (TokenInfo t : slots.list(true)) {
            if (selector.matches(t)) {
                return t;
            }
        }
        throw new TokenAbsentException(name, null, null);
    }

    @Override
    public synchronized void login() throws TokenException {
        TokenInfo before = info();
        if (before.userPinLocked()) {
            throw new PinLockedException(name, null, null);
        }
        char[] pin = pins.pin(before).orElseThrow(() -> new PinRequiredException(name, "no PIN available"));
        try {
            KeyStore ks = KeyStore.getInstance("PKCS11", provider);
            ks.load(null, pin); // C_Login through the provider
            loggedIn = true;
        } catch (java.io.IOException | GeneralSecurityException e) {
            Long ckr = JdkSlots.ckrOf(e);
            if (ckr != null && ckr == dev.custody.pkcs11.CkrConverter.CKR_PIN_INCORRECT) {
                TokenInfo after = info();
                if (after.userPinLocked()) {
                    throw new PinLockedException(name, ckr, "CKR_PIN_INCORRECT");
                }
                throw new PinIncorrectException(
                        name, ckr, "CKR_PIN_INCORRECT", after.userPinCountLow(), after.userPinFinalTry());
            }
            throw JdkSlots.convert("C_Login", e);
        } finally {
            PinSource.wipe(pin);
        }
    }

    @Override
    public boolean isLoggedIn() {
        return loggedIn;
    }

    @Override
    public void logout() throws TokenException {
        try {
            if (provider instanceof java.security.AuthProvider ap) {
                ap.logout(); // C_Logout
            }
            loggedIn = false;
        } catch (javax.security.auth.login.LoginException e) {
            throw JdkSlots.convert("C_Logout", e);
        }
    }

    @Override
    public TokenKey generateKeyPair(KeyAlgorithm algorithm, byte[] id, String label) throws TokenException {
        if (algorithm != KeyAlgorithm.EC_P256) {
            throw new UnsupportedByBackendException(
                    SunPkcs11Backend.NAME, "generate " + algorithm + " keys", "SunPKCS11 on JDK 17 has no EdDSA");
        }
        if (id.length == 0 || id[0] == 0 || (id[0] & 0x80) != 0) {
            // SunPKCS11 reads "0h…" attribute values as a BigInteger: a leading 0x00 byte is dropped and
            // a leading byte >= 0x80 gains a 0x00, so the key would carry a different CKA_ID.
            throw new UnsupportedByBackendException(
                    SunPkcs11Backend.NAME,
                    "set CKA_ID " + HexFormat.of().formatHex(id),
                    "its configuration cannot encode an ID whose first byte is 0x00 or >= 0x80");
        }
        if (!loggedIn) {
            throw new PinRequiredException(name, "log in before generating token keys");
        }
        String idHex = HexFormat.of().formatHex(id);
        if (generated.containsKey(idHex)) {
            throw new TokenException(TokenErrorCode.BAD_INPUT, "a key with id " + idHex + " already exists");
        }
        // A provider instance per generation carries this key's CKA_ID and CKA_LABEL in its template.
        Provider gen = configure(config(id, label));
        char[] pin = pins.pin(info()).orElseThrow(() -> new PinRequiredException(name, "no PIN available"));
        try {
            KeyStore.getInstance("PKCS11", gen).load(null, pin); // the new instance shares the login state
            KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC", gen);
            kpg.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair kp = kpg.generateKeyPair(); // C_GenerateKeyPair with the template above
            TokenKey key = new TokenKey(id, label, KeyAlgorithm.EC_P256, kp.getPublic());
            generated.put(idHex, new Entry(key, kp.getPrivate(), gen));
            return key;
        } catch (java.io.IOException | GeneralSecurityException | java.security.ProviderException e) {
            throw JdkSlots.convert("C_GenerateKeyPair", e);
        } finally {
            PinSource.wipe(pin);
        }
    }

    @Override
    public TokenKey importPrivateKey(PrivateKey privateKey, PublicKey publicKey, byte[] id, String label)
            throws TokenException {
        throw new UnsupportedByBackendException(
                SunPkcs11Backend.NAME,
                "import software keys",
                "the SunPKCS11 KeyStore stores a private key only with a certificate chain");
    }

    @Override
    public List<TokenKey> listKeys() throws TokenException {
        throw new UnsupportedByBackendException(
                SunPkcs11Backend.NAME,
                "list keys by CKA_ID/CKA_LABEL",
                "the SunPKCS11 KeyStore only shows private keys that have a certificate object");
    }

    @Override
    public Optional<TokenKey> findKey(byte[] id) throws TokenException {
        Entry e = generated.get(HexFormat.of().formatHex(id));
        if (e != null) {
            return Optional.of(e.key());
        }
        throw new UnsupportedByBackendException(
                SunPkcs11Backend.NAME,
                "find a key it did not generate",
                "the SunPKCS11 KeyStore has no search by CKA_ID/CKA_LABEL");
    }

    @Override
    public void deleteKey(byte[] id) throws TokenException {
        throw new UnsupportedByBackendException(
                SunPkcs11Backend.NAME, "delete keys", "the SunPKCS11 KeyStore cannot delete key-only entries");
    }

    @Override
    public PrivateKeyAttributes privateKeyAttributes(byte[] keyId) throws TokenException {
        throw new UnsupportedByBackendException(
                SunPkcs11Backend.NAME,
                "read key attributes",
                "no provider API reads CKA_SENSITIVE/CKA_EXTRACTABLE; use pkcs11-tool --list-objects");
    }

    @Override
    public boolean supportsEd25519() {
        return false;
    }

    @Override
    public byte[] sign(byte[] keyId, byte[] message, SignatureFormat format) throws TokenException {
        return signWith(keyId, "SHA256withECDSA", message, format);
    }

    @Override
    public byte[] signDigest(byte[] keyId, byte[] sha256, SignatureFormat format) throws TokenException {
        if (sha256.length != 32) {
            throw new TokenException(TokenErrorCode.BAD_INPUT, "a SHA-256 digest is 32 bytes, got " + sha256.length);
        }
        return signWith(keyId, "NONEwithECDSA", sha256, format);
    }

    private byte[] signWith(byte[] keyId, String algorithm, byte[] data, SignatureFormat format) throws TokenException {
        Entry e = generated.get(HexFormat.of().formatHex(keyId));
        if (e == null) {
            throw new KeyNotFoundException(
                    name,
                    HexFormat.of().formatHex(keyId) + " (SunPKCS11 signs only with keys it generated in this process)");
        }
        try {
            // the key belongs to the provider instance that generated it
            Signature sig = Signature.getInstance(algorithm, e.provider());
            sig.initSign(e.privateKey());
            sig.update(data);
            byte[] der = sig.sign(); // C_SignInit + C_Sign
            return format == SignatureFormat.RAW ? EcKeys.derToRaw(der, 32) : der;
        } catch (GeneralSecurityException | java.security.ProviderException ex) {
            throw JdkSlots.convert("C_Sign", ex);
        }
    }

    @Override
    public void close() {
        generated.clear();
    }
}
