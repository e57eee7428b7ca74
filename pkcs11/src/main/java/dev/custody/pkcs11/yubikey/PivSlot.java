package dev.custody.pkcs11.yubikey;

import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * The PIV key slots of a YubiKey, and the CKA_ID through which ykcs11 shows each one.
 *
 * <p>ykcs11 (yubico-piv-tool 2.2.0, {@code ykcs11/objects.c}) gives every slot a fixed one-byte
 * CKA_ID, the same for its private key, public key, certificate and data object: 9A → 1, 9C → 2,
 * 9D → 3, 9E → 4, retired 82..95 → 5..24 (and the attestation key F9 → 25, not a Custody key slot).
 * Generation names the slot by that CKA_ID; the labels are ykcs11's own ("Private key for Digital
 * Signature") and cannot be chosen.
 */
public enum PivSlot {
    AUTHENTICATION(0x9A, 1, "PIV Authentication"),
    SIGNATURE(0x9C, 2, "Digital Signature"),
    KEY_MANAGEMENT(0x9D, 3, "Key Management"),
    CARD_AUTHENTICATION(0x9E, 4, "Card Authentication"),
    RETIRED_1(0x82, 5, "Retired Key 1"),
    RETIRED_2(0x83, 6, "Retired Key 2"),
    RETIRED_3(0x84, 7, "Retired Key 3"),
    RETIRED_4(0x85, 8, "Retired Key 4"),
    RETIRED_5(0x86, 9, "Retired Key 5"),
    RETIRED_6(0x87, 10, "Retired Key 6"),
    RETIRED_7(0x88, 11, "Retired Key 7"),
    RETIRED_8(0x89, 12, "Retired Key 8"),
    RETIRED_9(0x8A, 13, "Retired Key 9"),
    RETIRED_10(0x8B, 14, "Retired Key 10"),
    RETIRED_11(0x8C, 15, "Retired Key 11"),
    RETIRED_12(0x8D, 16, "Retired Key 12"),
    RETIRED_13(0x8E, 17, "Retired Key 13"),
    RETIRED_14(0x8F, 18, "Retired Key 14"),
    RETIRED_15(0x90, 19, "Retired Key 15"),
    RETIRED_16(0x91, 20, "Retired Key 16"),
    RETIRED_17(0x92, 21, "Retired Key 17"),
    RETIRED_18(0x93, 22, "Retired Key 18"),
    RETIRED_19(0x94, 23, "Retired Key 19"),
    RETIRED_20(0x95, 24, "Retired Key 20");

    private final int keyReference;
    private final int ckaId;
    private final String title;

    PivSlot(int keyReference, int ckaId, String title) {
        this.keyReference = keyReference;
        this.ckaId = ckaId;
        this.title = title;
    }

    /** The PIV key reference, e.g. 0x9C. */
    public int keyReference() {
        return keyReference;
    }

    /** The slot as users write it: {@code 9c}, {@code 82}. */
    public String hex() {
        return String.format("%02x", keyReference);
    }

    /** The one-byte CKA_ID ykcs11 uses for this slot's objects. */
    public byte[] ckaId() {
        return new byte[] {(byte) ckaId};
    }

    /** The PIV name, e.g. "Digital Signature". */
    public String title() {
        return title;
    }

    /** The slot whose CKA_ID this is, if any (ykcs11 ids are exactly one byte). */
    public static Optional<PivSlot> findByCkaId(byte[] id) {
        if (id == null || id.length != 1) {
            return Optional.empty();
        }
        for (PivSlot s : values()) {
            if (s.ckaId == (id[0] & 0xFF)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** @throws TokenException BAD_INPUT if the CKA_ID is not a PIV key slot's */
    public static PivSlot byCkaId(byte[] id) throws TokenException {
        return findByCkaId(id)
                .orElseThrow(
                        () -> new TokenException(
                                TokenErrorCode.BAD_INPUT,
                                "key id "
                                        + (id == null ? "null" : HexFormat.of().formatHex(id))
                                        + " is not a YubiKey PIV slot; ykcs11 ids are 01 (9a), 02 (9c), 03 (9d), 04 (9e), 05..18 (82..95)"));
    }

    /** Parses {@code 9c}, {@code 0x9c}, {@code 82}, or a name such as {@code signature} / {@code retired_1}. */
    public static PivSlot parse(String spec) throws TokenException {
        String s = spec.strip().toLowerCase(Locale.ROOT);
        if (s.startsWith("0x")) {
            s = s.substring(2);
        }
        for (PivSlot p : values()) {
            if (p.hex().equals(s) || p.name().toLowerCase(Locale.ROOT).equals(s.replace('-', '_'))) {
                return p;
            }
        }
        throw new TokenException(
                TokenErrorCode.BAD_INPUT,
                "'" + spec + "' is not a PIV key slot: use 9a, 9c, 9d, 9e" + " or a retired slot 82..95");
    }

    @Override
    public String toString() {
        return hex() + " (" + title + ")";
    }
}
