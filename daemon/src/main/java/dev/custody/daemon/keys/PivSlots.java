package dev.custody.daemon.keys;

import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenKey;
import dev.custody.pkcs11.yubikey.PivSlot;
import dev.custody.pkcs11.yubikey.YubikeyToken;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.CustodyException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a new key goes on a {@code profile: yubikey} token: a PIV slot empty both on the card and in
 * the {@link KeyInventory}. Custody never generates or imports into an occupied slot (a YubiKey
 * overwrites without a trace).
 */
final class PivSlots {
    /** Where a key goes on a YubiKey when no slot is named: the signature slot, the other PIV slots, then retired. */
    static final List<PivSlot> SLOT_ORDER = slotOrder();

    private final KeyInventory inventory;

    PivSlots(KeyInventory inventory) {
        this.inventory = inventory;
    }

    private static List<PivSlot> slotOrder() {
        List<PivSlot> order = new ArrayList<>(List.of(PivSlot.values()));
        order.remove(PivSlot.SIGNATURE);
        order.add(0, PivSlot.SIGNATURE);
        return List.copyOf(order);
    }

    /** Refuses a {@code params.slot} for {@code token}, which is not a YubiKey. */
    static void requireNoSlot(ManagedToken token, String slotSpec) throws BadRequestException {
        if (slotSpec != null) {
            throw new BadRequestException(
                    "params.slot: token " + token.name() + " is not a YubiKey (profile: "
                            + token.config().profile().configName()
                            + "); a PIV slot applies to profile: yubikey tokens only",
                    "params.slot");
        }
    }

    /**
     * The PIV slot for a new key: the named one ({@code params.slot}) if it is empty on the card and in the
     * inventory, else the first empty one of {@link #SLOT_ORDER}.
     *
     * @throws ConflictException for an occupied named slot, or when every slot is taken
     */
    PivSlot choose(ManagedToken token, YubikeyToken yk, String slotSpec) throws CustodyException {
        PivSlot wanted = null;
        if (slotSpec != null) {
            try {
                wanted = PivSlot.parse(slotSpec);
            } catch (TokenException e) {
                throw new BadRequestException("params.slot: " + e.getMessage(), "params.slot");
            }
        }
        PivSlot slot;
        try {
            Map<PivSlot, TokenKey> onCard = yk.keysBySlot();
            if (wanted != null) {
                slot = wanted;
                Optional<KeyInventory.Entry> recorded = recordedIn(token, slot);
                if (onCard.containsKey(slot) || recorded.isPresent()) {
                    throw new ConflictException(
                            null,
                            "slot " + slot + " of YubiKey " + yk.serial() + " (token " + token.name()
                                    + ") already holds a key"
                                    + recorded.map(e -> " (key " + e.keyId() + ", role " + e.role() + ")")
                                            .orElse(" that Custody did not make")
                                    + "; Custody never overwrites a PIV slot (the old key would be"
                                    + " gone for good): choose an empty slot"
                                    + firstFree(token, onCard)
                                            .map(f -> ", e.g. " + f.hex())
                                            .orElse(""));
                }
            } else {
                slot = firstFree(token, onCard)
                        .orElseThrow(() -> new ConflictException(
                                null,
                                "every PIV slot of YubiKey " + yk.serial() + " (token " + token.name()
                                        + ") holds a key; Custody never overwrites one"));
            }
        } catch (TokenException e) {
            throw TokenErrors.toCustody(token.name(), e);
        }
        return slot;
    }

    private Optional<KeyInventory.Entry> recordedIn(ManagedToken token, PivSlot slot) {
        String ckaId = HexFormat.of().formatHex(slot.ckaId());
        return inventory.all().stream()
                .filter(e -> e.tokenName().equals(token.name()) && e.ckaId().equals(ckaId))
                .findFirst();
    }

    private Optional<PivSlot> firstFree(ManagedToken token, Map<PivSlot, TokenKey> onCard) {
        return SLOT_ORDER.stream()
                .filter(s -> !onCard.containsKey(s) && recordedIn(token, s).isEmpty())
                .findFirst();
    }
}
