package dev.custody.testhsm.piv;

import static dev.custody.testhsm.piv.Responses.ok;
import static dev.custody.testhsm.piv.Responses.sw;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * The 3DES management key (slot 9B) of an emulated PIV card: mutual authentication through GENERAL
 * AUTHENTICATE, SET MANAGEMENT KEY (FF) and its GET METADATA. Generation, import and PUT DATA ask
 * {@link #authenticated()}. Used under {@link PivCard}'s lock only.
 */
final class ManagementKeyAuth {
    private final SecureRandom random;
    private byte[] key;
    private boolean authenticated;
    private byte[] witness;

    ManagementKeyAuth(byte[] key, SecureRandom random) {
        this.key = key.clone();
        this.random = random;
    }

    boolean authenticated() {
        return authenticated;
    }

    /** A reset or another applet: authenticate again. */
    void clear() {
        authenticated = false;
        witness = null;
    }

    /**
     * Mutual authentication with the 3DES management key. Step 1 ({@code 80} empty): the card sends
     * E(witness). Step 2 ({@code 80} decrypted witness, {@code 81} client challenge): the card checks the
     * witness and answers {@code 82} E(challenge).
     */
    byte[] authenticate(Map<Integer, byte[]> t) {
        byte[] w = t.get(0x80);
        byte[] challenge = t.get(0x81);
        if (w != null && w.length == 0 && challenge == null) {
            authenticated = false;
            witness = new byte[8];
            random.nextBytes(witness);
            return ok(Tlv.of(0x7C, Tlv.of(0x80, des(witness))));
        }
        if (w != null && w.length == 8 && challenge != null && challenge.length == 8) {
            byte[] expected = witness;
            witness = null;
            if (expected == null || !MessageDigest.isEqual(expected, w)) {
                authenticated = false;
                return sw(Sw.SECURITY_STATUS_NOT_SATISFIED);
            }
            authenticated = true;
            return ok(Tlv.of(0x7C, Tlv.of(0x82, des(challenge))));
        }
        witness = null;
        return sw(Sw.INCORRECT_DATA);
    }

    private byte[] des(byte[] block) {
        try {
            Cipher c = Cipher.getInstance("DESede/ECB/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "DESede"));
            return c.doFinal(block);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks DESede", e);
        }
    }

    /** SET MANAGEMENT KEY: {@code 00 FF FF|FE} with {@code 03 9B 18 <24-byte key>}. */
    byte[] set(CommandApdu c, byte[] data) {
        if (c.p1() != 0xFF || (c.p2() != 0xFF && c.p2() != 0xFE)) {
            return sw(Sw.INCORRECT_P1P2);
        }
        if (!authenticated) {
            return sw(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        if (data.length != 27
                || data[0] != PivCard.ALG_3DES
                || (data[1] & 0xFF) != PivCard.SLOT_MANAGEMENT_KEY
                || data[2] != 24) {
            return sw(Sw.INCORRECT_DATA);
        }
        key = Arrays.copyOfRange(data, 3, 27);
        return sw(Sw.OK);
    }

    /** GET METADATA of 9B: 3DES, and whether the key is still the default. */
    byte[] metadata() {
        boolean isDefault = Arrays.equals(key, PivCard.DEFAULT_MANAGEMENT_KEY);
        return ok(Tlv.concat(
                Tlv.of(0x01, new byte[] {PivCard.ALG_3DES}),
                Tlv.of(0x02, new byte[] {0, 1}),
                Tlv.of(0x05, new byte[] {(byte) (isDefault ? 1 : 0)})));
    }
}
