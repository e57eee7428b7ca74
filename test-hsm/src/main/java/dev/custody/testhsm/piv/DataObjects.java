package dev.custody.testhsm.piv;

import static dev.custody.testhsm.piv.Responses.ok;
import static dev.custody.testhsm.piv.Responses.sw;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * The data objects of an emulated PIV card (certificates, CHUID, …): GET DATA (CB) and PUT DATA (DB, needs
 * the management key; an empty {@code 53} deletes). The discovery object 7E is always there. Used under
 * {@link PivCard}'s lock only.
 */
final class DataObjects {
    /**
     * The discovery object a YubiKey always carries (its own tag 7E, not wrapped in 53): PIV AID and the
     * PIN usage policy.
     */
    private static final byte[] DISCOVERY = HexFormat.of().parseHex("7e124f0ba0000003080000100001005f2f024000");

    /** Object id → the encoded {@code 53} TLV, as GET DATA returns it. */
    private final Map<Integer, byte[]> objects = new HashMap<>();

    DataObjects() {
        objects.put(0x7E, DISCOVERY.clone());
    }

    /** The object id in a {@code 5C} tag list (1–3 bytes, e.g. 5FC10A, 7E, 7F61). */
    private static int objectId(byte[] tagList) {
        if (tagList == null || tagList.length == 0 || tagList.length > 3) {
            throw new IllegalArgumentException("bad object tag list");
        }
        int id = 0;
        for (byte b : tagList) {
            id = (id << 8) | (b & 0xFF);
        }
        return id;
    }

    byte[] get(CommandApdu c, byte[] data) {
        if (c.p1() != 0x3F || c.p2() != 0xFF) {
            return sw(Sw.INCORRECT_P1P2);
        }
        Map<Integer, byte[]> t = Tlv.parse(data, 0, data.length);
        byte[] value = objects.get(objectId(t.get(0x5C)));
        return value == null ? sw(Sw.FILE_NOT_FOUND) : ok(value.clone());
    }

    byte[] put(CommandApdu c, byte[] data, boolean managementKeyAuthenticated) {
        if (c.p1() != 0x3F || c.p2() != 0xFF) {
            return sw(Sw.INCORRECT_P1P2);
        }
        if (!managementKeyAuthenticated) {
            return sw(Sw.SECURITY_STATUS_NOT_SATISFIED);
        }
        // 5C <id> 53 <value>: parse by hand, the 53 value may be long
        if (data.length < 2 || (data[0] & 0xFF) != 0x5C) {
            return sw(Sw.INCORRECT_DATA);
        }
        int idLen = data[1] & 0xFF;
        if (2 + idLen >= data.length || (data[2 + idLen] & 0xFF) != 0x53) {
            return sw(Sw.INCORRECT_DATA);
        }
        int id = objectId(Arrays.copyOfRange(data, 2, 2 + idLen));
        int[] len = Tlv.readLength(data, 3 + idLen, data.length);
        if (len[1] + len[0] != data.length) {
            return sw(Sw.INCORRECT_DATA);
        }
        if (len[0] == 0) {
            objects.remove(id);
        } else {
            objects.put(id, Arrays.copyOfRange(data, 2 + idLen, data.length));
        }
        return sw(Sw.OK);
    }
}
