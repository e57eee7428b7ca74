package dev.custody.daemon.config;

import dev.custody.pkcs11.TokenSelector;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A hardware token the daemon uses: its PKCS#11 module and how to recognise it (label and/or
 * serial, or an RFC 7512 URI parsed by the token layer's {@link TokenSelector}).
 *
 * @param name the name commands and audit lines use, e.g. {@code yubikey-1}
 * @param module absolute path of the PKCS#11 module (.so)
 * @param label token label (CKA_LABEL of the token info), or null
 * @param serial token serial number, or null
 * @param uri a PKCS#11 URI instead of label/serial, or null
 * @param pin where the PIN comes from
 * @param profile how the token is driven: a plain PKCS#11 token, or a YubiKey through ykcs11
 * @param managementKey {@code yubikey} only: where the PIV management key comes from (key generation), or null
 * @param holders who must approve each signature with this token's keys ({@link TokenHolders#NONE}: nobody)
 */
public record TokenConfig(
        String name,
        Path module,
        String label,
        String serial,
        TokenSelector uri,
        TokenPin pin,
        Profile profile,
        TokenManagementKey managementKey,
        TokenHolders holders) {
    /** The token profiles of {@code tokens[].profile}. */
    public enum Profile {
        /** Any PKCS#11 token, keys named by CKA_ID/CKA_LABEL (the default). */
        PKCS11,
        /** A YubiKey through Yubico's ykcs11: PIV slots, serial as identity, management key, touch notice. */
        YUBIKEY;

        /** The config spelling: {@code pkcs11}, {@code yubikey}. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public TokenConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(pin, "pin");
        holders = holders == null ? TokenHolders.NONE : holders;
        profile = profile == null ? Profile.PKCS11 : profile;
        if (profile == Profile.YUBIKEY && serial == null) {
            throw new IllegalArgumentException("a yubikey token is identified by its serial");
        }
    }

    /** A plain PKCS#11 token without holders. */
    public TokenConfig(String name, Path module, String label, String serial, TokenSelector uri, TokenPin pin) {
        this(name, module, label, serial, uri, pin, Profile.PKCS11, null, TokenHolders.NONE);
    }

    /** True for {@code profile: yubikey}. */
    public boolean isYubikey() {
        return profile == Profile.YUBIKEY;
    }

    public Optional<TokenManagementKey> findManagementKey() {
        return Optional.ofNullable(managementKey);
    }

    public Optional<String> findLabel() {
        return Optional.ofNullable(label);
    }

    public Optional<String> findSerial() {
        return Optional.ofNullable(serial);
    }

    public Optional<TokenSelector> findUri() {
        return Optional.ofNullable(uri);
    }

    /** How the token layer finds this token among the module's slots. */
    public TokenSelector selector() {
        return uri != null ? uri : new TokenSelector(label, serial, null, null, null, null, null, null);
    }
}
