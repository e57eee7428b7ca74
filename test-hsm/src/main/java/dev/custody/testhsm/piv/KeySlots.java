package dev.custody.testhsm.piv;

import static dev.custody.testhsm.piv.Responses.ok;
import static dev.custody.testhsm.piv.Responses.sw;

import dev.custody.testhsm.piv.PivCard.PinPolicy;
import dev.custody.testhsm.piv.PivCard.TouchPolicy;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The key slots of an emulated PIV card (9A, 9C, 9D, 9E, 82–95): GENERATE ASYMMETRIC (47), IMPORT
 * ASYMMETRIC KEY (FE), signing through GENERAL AUTHENTICATE with PIN and touch policies, and GET METADATA
 * of a key slot. Private keys stay in this object; no method returns one. Used under {@link PivCard}'s
 * lock only.
 */
final class KeySlots {
    /** GET METADATA origin values. */
    private static final int ORIGIN_GENERATED = 1;

    private static final int ORIGIN_IMPORTED = 2;
    /** A YubiKey gives up waiting for a touch after about 15 s. */
    private static final Duration TOUCH_TIMEOUT = Duration.ofSeconds(15);

    private static final Duration TOUCH_CACHE = Duration.ofSeconds(15);

    /** A key in a slot. The private key never leaves this object. */
    private static final class SlotKey {
        final int algorithm;
        final PrivateKey privateKey;
        final ECPublicKey publicKey;
        final int origin;
        PinPolicy pinPolicy;
        TouchPolicy touchPolicy;
        int signatures;

        SlotKey(int algorithm, KeyPair kp, PinPolicy pinPolicy, TouchPolicy touchPolicy, int origin) {
            this.algorithm = algorithm;
            this.origin = origin;
            this.privateKey = kp.getPrivate();
            this.publicKey = (ECPublicKey) kp.getPublic();
            this.pinPolicy = pinPolicy;
            this.touchPolicy = touchPolicy;
        }
    }

    /** The PIN and touch policy of a new key: the slot's defaults, or the AA / AB tags of the command. */
    private record Policies(PinPolicy pin, TouchPolicy touch) {}

    private final SecureRandom random;
    private final Map<Integer, SlotKey> keys = new HashMap<>();
    private final Map<Integer, TouchPolicy> touchOverrides = new HashMap<>();
    private Duration touchDelay;
    private long lastTouchNanos = Long.MIN_VALUE;

    KeySlots(SecureRandom random, Duration touchDelay) {
        this.random = random;
        this.touchDelay = touchDelay;
    }

    Optional<ECPublicKey> publicKey(int slot) {
        return Optional.ofNullable(keys.get(slot)).map(k -> k.publicKey);
    }

    Set<Integer> slotsWithKeys() {
        return Collections.unmodifiableSet(new TreeSet<>(keys.keySet()));
    }

    int signatures(int slot) {
        SlotKey k = keys.get(slot);
        return k == null ? 0 : k.signatures;
    }

    void setTouchPolicy(int slot, TouchPolicy policy) {
        checkKeySlot(slot);
        touchOverrides.put(slot, policy);
        SlotKey k = keys.get(slot);
        if (k != null) {
            k.touchPolicy = policy;
        }
    }

    void setTouchDelay(Duration delay) {
        this.touchDelay = delay;
    }

    // ---- signing ------------------------------------------------------------------------------

    /** GENERAL AUTHENTICATE with a key slot: {@code 81} the hash, {@code 82} empty → {@code 7C {82 <DER>}}. */
    byte[] sign(int algorithm, int slot, Map<Integer, byte[]> t, PinState pins) {
        SlotKey k = keys.get(slot);
        if (k == null) {
            return sw(Sw.REFERENCE_NOT_FOUND);
        }
        if (k.algorithm != algorithm) {
            return sw(Sw.INCORRECT_P1P2);
        }
        byte[] hash = t.get(0x81);
        if (hash == null || !t.containsKey(0x82) || hash.length == 0 || hash.length > EcCurves.fieldBytes(algorithm)) {
            return sw(Sw.INCORRECT_DATA); // ECDH (85) and decryption are not emulated
        }
        boolean pinOk = switch (k.pinPolicy) {
            case NEVER -> true;
            case ONCE -> pins.verified();
            case ALWAYS -> pins.fresh();
        };
        if (!pinOk) {
            return sw(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        if (!touched(k.touchPolicy)) {
            return sw(Sw.CONDITIONS_NOT_SATISFIED);
        }
        if (k.pinPolicy == PinPolicy.ALWAYS) {
            pins.useFresh();
        }
        byte[] der;
        try {
            Signature s = Signature.getInstance("NONEwithECDSA");
            s.initSign(k.privateKey, random);
            s.update(hash);
            der = s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ECDSA failed in the JDK", e);
        }
        k.signatures++;
        return ok(Tlv.of(0x7C, Tlv.of(0x82, der)));
    }

    /** Simulates the user touching the key; false if the touch did not come in time. */
    private boolean touched(TouchPolicy policy) {
        if (policy == TouchPolicy.NEVER) {
            return true;
        }
        long now = System.nanoTime();
        if (policy == TouchPolicy.CACHED
                && lastTouchNanos != Long.MIN_VALUE
                && now - lastTouchNanos < TOUCH_CACHE.toNanos()) {
            return true;
        }
        boolean comes = touchDelay.compareTo(TOUCH_TIMEOUT) < 0;
        sleep(comes ? touchDelay : TOUCH_TIMEOUT);
        if (comes) {
            lastTouchNanos = System.nanoTime();
        }
        return comes;
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- GENERATE ASYMMETRIC ------------------------------------------------------------------

    byte[] generate(CommandApdu c, byte[] data, boolean managementKeyAuthenticated) {
        int slot = c.p2();
        if (c.p1() != 0x00 || !isKeySlot(slot)) {
            return sw(Sw.INCORRECT_P1P2);
        }
        if (!managementKeyAuthenticated) {
            return sw(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        if (data.length < 2 || (data[0] & 0xFF) != 0xAC) {
            return sw(Sw.INCORRECT_DATA);
        }
        int[] len = Tlv.readLength(data, 1, data.length);
        Map<Integer, byte[]> t = Tlv.parse(data, len[1], Math.min(data.length, len[1] + len[0]));
        byte[] alg = t.get(0x80);
        if (alg == null || alg.length != 1) {
            return sw(Sw.INCORRECT_DATA);
        }
        int algorithm = alg[0] & 0xFF;
        String curve = EcCurves.curve(algorithm); // RSA is not emulated
        if (curve == null) {
            return sw(Sw.INCORRECT_DATA);
        }
        Policies policies = policies(t, slot);
        if (policies == null) {
            return sw(Sw.INCORRECT_DATA);
        }
        KeyPair kp = EcCurves.generate(curve, random);
        SlotKey k = new SlotKey(algorithm, kp, policies.pin(), policies.touch(), ORIGIN_GENERATED);
        keys.put(slot, k);
        return ok(
                Tlv.of(0x7F49, Tlv.of(0x86, EcCurves.uncompressedPoint(k.publicKey, EcCurves.fieldBytes(algorithm)))));
    }

    /** {@link Policies} from GENERATE's or IMPORT's tags; null if a tag holds no valid policy. */
    private Policies policies(Map<Integer, byte[]> t, int slot) {
        PinPolicy pin = defaultPinPolicy(slot);
        TouchPolicy touch = touchOverrides.getOrDefault(slot, TouchPolicy.NEVER);
        try {
            byte[] pp = t.get(0xAA);
            if (pp != null && pp.length == 1 && pp[0] != 0) {
                pin = PinPolicy.of(pp[0]);
            }
            byte[] tp = t.get(0xAB);
            if (tp != null && tp.length == 1 && tp[0] != 0) {
                touch = TouchPolicy.of(tp[0]);
            }
        } catch (IllegalArgumentException e) {
            return null;
        }
        return new Policies(pin, touch);
    }

    // ---- IMPORT ASYMMETRIC KEY -----------------------------------------------------------------

    /**
     * IMPORT ASYMMETRIC KEY (YubiKey extension): {@code 00 FE <alg> <slot>} with {@code 06 <scalar>}
     * [{@code AA 01 <pin policy>}] [{@code AB 01 <touch policy>}]. The scalar must be 1 ≤ d < n; the public
     * key is computed here. RSA (tags 01–05) is not emulated. The command data is wiped afterwards.
     */
    byte[] importKey(CommandApdu c, byte[] data, boolean managementKeyAuthenticated) {
        try {
            int slot = c.p2();
            int algorithm = c.p1();
            if (!isKeySlot(slot)) {
                return sw(Sw.INCORRECT_P1P2);
            }
            String curve = EcCurves.curve(algorithm); // RSA import is not emulated
            if (curve == null) {
                return sw(Sw.INCORRECT_P1P2);
            }
            if (!managementKeyAuthenticated) {
                return sw(Sw.SECURITY_STATUS_NOT_SATISFIED);
            }
            Map<Integer, byte[]> t = Tlv.parse(data, 0, data.length);
            byte[] scalar = t.get(0x06);
            if (scalar == null || scalar.length != EcCurves.fieldBytes(algorithm)) {
                return sw(Sw.INCORRECT_DATA);
            }
            Policies policies = policies(t, slot);
            if (policies == null) {
                return sw(Sw.INCORRECT_DATA);
            }
            KeyPair kp;
            try {
                kp = EcCurves.keyPairFromScalar(curve, new BigInteger(1, scalar));
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                return sw(Sw.INCORRECT_DATA); // zero or ≥ n: a YubiKey refuses it too
            } finally {
                Arrays.fill(scalar, (byte) 0);
            }
            keys.put(slot, new SlotKey(algorithm, kp, policies.pin(), policies.touch(), ORIGIN_IMPORTED));
            return sw(Sw.OK);
        } finally {
            Arrays.fill(data, (byte) 0);
        }
    }

    // ---- metadata -----------------------------------------------------------------------------

    /** GET METADATA of a key slot: algorithm, policies, origin and public key. */
    byte[] metadata(int slot) {
        if (!isKeySlot(slot)) {
            return sw(Sw.INCORRECT_P1P2);
        }
        SlotKey k = keys.get(slot);
        if (k == null) {
            return sw(Sw.REFERENCE_NOT_FOUND);
        }
        byte[] point = EcCurves.uncompressedPoint(k.publicKey, EcCurves.fieldBytes(k.algorithm));
        return ok(Tlv.concat(
                Tlv.of(0x01, new byte[] {(byte) k.algorithm}),
                Tlv.of(0x02, new byte[] {(byte) k.pinPolicy.code, (byte) k.touchPolicy.code}),
                Tlv.of(0x03, new byte[] {(byte) k.origin}), // 1 generated on the card, 2 imported
                Tlv.of(0x04, Tlv.of(0x86, point))));
    }

    /** The YubiKey defaults: 9C needs the PIN for every signature, 9E never, the rest once per session. */
    private static PinPolicy defaultPinPolicy(int slot) {
        return switch (slot) {
            case PivCard.SLOT_SIGNATURE -> PinPolicy.ALWAYS;
            case PivCard.SLOT_CARD_AUTHENTICATION -> PinPolicy.NEVER;
            default -> PinPolicy.ONCE;
        };
    }

    private static boolean isKeySlot(int slot) {
        return slot == PivCard.SLOT_AUTHENTICATION
                || slot == PivCard.SLOT_SIGNATURE
                || slot == PivCard.SLOT_KEY_MANAGEMENT
                || slot == PivCard.SLOT_CARD_AUTHENTICATION
                || (slot >= PivCard.SLOT_RETIRED_FIRST && slot <= PivCard.SLOT_RETIRED_LAST);
    }

    private static void checkKeySlot(int slot) {
        if (!isKeySlot(slot)) {
            throw new IllegalArgumentException("not a PIV key slot: " + Integer.toHexString(slot));
        }
    }
}
