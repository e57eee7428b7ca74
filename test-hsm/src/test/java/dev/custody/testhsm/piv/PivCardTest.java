package dev.custody.testhsm.piv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The emulated PIV applet at the APDU level, as libykpiv talks to it. No reader, no root. */
class PivCardTest {
    private static final HexFormat HEX = HexFormat.of();
    private PivCard card;

    @BeforeEach
    void newCard() {
        card = PivCard.builder(12345678).build();
    }

    // ---- helpers: APDUs the way libykpiv builds them --------------------------------------------

    private byte[] send(String hex) {
        return card.transmit(HEX.parseHex(hex.replace(" ", "")));
    }

    private static int sw(byte[] r) {
        return Sw.of(r);
    }

    private static byte[] data(byte[] r) {
        return Arrays.copyOf(r, r.length - 2);
    }

    private static byte[] apdu(int cla, int ins, int p1, int p2, byte[] data) {
        byte[] a = new byte[5 + data.length];
        a[0] = (byte) cla;
        a[1] = (byte) ins;
        a[2] = (byte) p1;
        a[3] = (byte) p2;
        a[4] = (byte) data.length;
        System.arraycopy(data, 0, a, 5, data.length);
        return a;
    }

    /** Sends data with command chaining in 255-byte pieces and collects a chained response (61XX / C0). */
    private byte[] exchange(int ins, int p1, int p2, byte[] data) {
        int off = 0;
        byte[] r;
        do {
            int n = Math.min(255, data.length - off);
            boolean last = off + n >= data.length;
            r = card.transmit(apdu(last ? 0x00 : 0x10, ins, p1, p2, Arrays.copyOfRange(data, off, off + n)));
            off += n;
            if (!last) {
                assertThat(sw(r)).isEqualTo(Sw.OK);
            }
        } while (off < data.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(data(r));
        while ((sw(r) & 0xFF00) == Sw.MORE_DATA) {
            r = send("00C00000");
            out.writeBytes(data(r));
        }
        out.write(sw(r) >> 8);
        out.write(sw(r) & 0xFF);
        return out.toByteArray();
    }

    private void selectPiv() {
        assertThat(sw(send("00A4040005A000000308"))).isEqualTo(Sw.OK);
    }

    private int verify(String pin) {
        byte[] padded = new byte[8];
        Arrays.fill(padded, (byte) 0xFF);
        byte[] p = pin.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(p, 0, padded, 0, p.length);
        return sw(card.transmit(apdu(0, 0x20, 0x00, 0x80, padded)));
    }

    private static byte[] des(byte[] key, int mode, byte[] block) throws Exception {
        Cipher c = Cipher.getInstance("DESede/ECB/NoPadding");
        c.init(mode, new SecretKeySpec(key, "DESede"));
        return c.doFinal(block);
    }

    /** libykpiv's _ykpiv_authenticate: witness, then response + own challenge, then check. */
    private int authenticate(byte[] key) throws Exception {
        byte[] r = send("0087039B 04 7C028000");
        if (sw(r) != Sw.OK) {
            return sw(r);
        }
        assertThat(Arrays.copyOf(r, 4)).containsExactly(0x7C, 0x0A, 0x80, 0x08);
        byte[] witness = des(key, Cipher.DECRYPT_MODE, Arrays.copyOfRange(r, 4, 12));
        byte[] challenge = HEX.parseHex("0011223344556677");
        byte[] d = new byte[22];
        d[0] = 0x7C;
        d[1] = 20;
        d[2] = (byte) 0x80;
        d[3] = 8;
        System.arraycopy(witness, 0, d, 4, 8);
        d[12] = (byte) 0x81;
        d[13] = 8;
        System.arraycopy(challenge, 0, d, 14, 8);
        r = card.transmit(apdu(0, 0x87, 0x03, 0x9B, d));
        if (sw(r) != Sw.OK) {
            return sw(r);
        }
        assertThat(Arrays.copyOf(r, 4)).containsExactly(0x7C, 0x0A, 0x82, 0x08);
        assertThat(Arrays.copyOfRange(r, 4, 12)).isEqualTo(des(key, Cipher.ENCRYPT_MODE, challenge));
        return sw(r);
    }

    private ECPublicKey generate(int slot, int algorithm) throws Exception {
        byte[] r =
                card.transmit(apdu(0, 0x47, 0x00, slot, new byte[] {(byte) 0xAC, 3, (byte) 0x80, 1, (byte) algorithm}));
        assertThat(sw(r)).isEqualTo(Sw.OK);
        assertThat(Arrays.copyOf(r, 2)).containsExactly(0x7F, 0x49);
        int n = algorithm == PivCard.ALG_ECCP384 ? 48 : 32;
        int off = r[2] == (byte) 0x81 ? 4 : 3; // 7F49 LL or 7F49 81 LL
        assertThat(r[off]).isEqualTo((byte) 0x86);
        assertThat(r[off + 1] & 0xFF).isEqualTo(2 * n + 1);
        byte[] point = Arrays.copyOfRange(r, off + 2, off + 2 + 2 * n + 1);
        assertThat(point[0]).isEqualTo((byte) 0x04);
        ECPublicKey fromCard = card.publicKey(slot).orElseThrow();
        ECPoint w = new ECPoint(
                new BigInteger(1, Arrays.copyOfRange(point, 1, 1 + n)),
                new BigInteger(1, Arrays.copyOfRange(point, 1 + n, 1 + 2 * n)));
        PublicKey decoded = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(w, fromCard.getParams()));
        assertThat(decoded).isEqualTo(fromCard);
        return fromCard;
    }

    private byte[] sign(int slot, byte[] hash) {
        byte[] d = new byte[6 + hash.length];
        d[0] = 0x7C;
        d[1] = (byte) (4 + hash.length);
        d[2] = (byte) 0x82;
        d[3] = 0;
        d[4] = (byte) 0x81;
        d[5] = (byte) hash.length;
        System.arraycopy(hash, 0, d, 6, hash.length);
        return card.transmit(apdu(0, 0x87, PivCard.ALG_ECCP256, slot, d));
    }

    private static byte[] der(byte[] signResponse) {
        assertThat(signResponse[0]).isEqualTo((byte) 0x7C);
        assertThat(signResponse[2]).isEqualTo((byte) 0x82);
        return Arrays.copyOfRange(signResponse, 4, 4 + (signResponse[3] & 0xFF));
    }

    private static boolean verifies(PublicKey k, byte[] msg, byte[] der) throws Exception {
        Signature v = Signature.getInstance("SHA256withECDSA");
        v.initVerify(k);
        v.update(msg);
        return v.verify(der);
    }

    private static byte[] sha256(byte[] m) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(m);
    }

    // ---- tests --------------------------------------------------------------------------------

    @Test
    void select_pivAid_answersPropertyTemplate_otherAidsNotFound() {
        assertThat(sw(send("00FD0000"))).isEqualTo(Sw.INS_NOT_SUPPORTED); // nothing selected yet
        byte[] r = send("00A4040005A000000308");
        assertThat(sw(r)).isEqualTo(Sw.OK);
        assertThat(HEX.formatHex(data(r))).isEqualTo("61114f0600001000010079074f05a000000308");
        assertThat(sw(send("00A404000BA000000308000010000100"))).isEqualTo(Sw.OK);
        assertThat(sw(send("00A4040007A0000005272001"))).isEqualTo(Sw.FILE_NOT_FOUND); // OTP applet
        assertThat(sw(send("00A4040008A000000527471117"))).isEqualTo(Sw.OK); // management applet
        assertThat(sw(send("00FD0000"))).isEqualTo(Sw.INS_NOT_SUPPORTED); // PIV is not selected now
    }

    @Test
    void versionAndSerial() {
        selectPiv();
        assertThat(HEX.formatHex(send("00FD000000"))).isEqualTo("0504039000");
        assertThat(HEX.formatHex(send("00F8000000"))).isEqualTo("00bc614e9000"); // 12345678
        assertThat(card.atr()).isEqualTo(HEX.parseHex("3bfd1300008131fe158073c021c05759756269" + "4b657940"));
    }

    @Test
    void verify_countsTries_blocksAfterThree_andResetsOnSuccess() {
        selectPiv();
        assertThat(sw(send("0020008000"))).isEqualTo(0x63C3); // status query, as ykpiv sends it
        assertThat(verify("000000")).isEqualTo(0x63C2);
        assertThat(verify(PivCard.DEFAULT_PIN)).isEqualTo(Sw.OK);
        assertThat(card.pinTriesLeft()).isEqualTo(3);
        assertThat(sw(send("0020008000"))).isEqualTo(Sw.OK); // verified
        assertThat(sw(send("0020FF80"))).isEqualTo(Sw.OK); // un-verify
        assertThat(sw(send("0020008000"))).isEqualTo(0x63C3);
        assertThat(verify("000000")).isEqualTo(0x63C2);
        assertThat(verify("000000")).isEqualTo(0x63C1);
        assertThat(verify("000000")).isEqualTo(Sw.AUTH_BLOCKED);
        assertThat(verify(PivCard.DEFAULT_PIN)).isEqualTo(Sw.AUTH_BLOCKED);
        assertThat(sw(send("0020008000"))).isEqualTo(Sw.AUTH_BLOCKED);
        assertThat(card.pinTriesLeft()).isZero();
        assertThat(sw(send("002000800431323334"))).isEqualTo(Sw.INCORRECT_DATA); // not 8 bytes
    }

    @Test
    void pukResetsABlockedPin_andPinCanBeChanged() {
        selectPiv();
        for (int i = 0; i < 3; i++) {
            verify("999999");
        }
        // PUK 12345678, new PIN "11111": too short, refused
        byte[] pukAndNew = HEX.parseHex("3132333435363738" + "3131313131ffffff");
        assertThat(sw(card.transmit(apdu(0, 0x2C, 0x00, 0x80, pukAndNew)))).isEqualTo(Sw.INCORRECT_DATA);
        pukAndNew = HEX.parseHex("3132333435363738" + "313131313131ffff");
        assertThat(sw(card.transmit(apdu(0, 0x2C, 0x00, 0x80, pukAndNew)))).isEqualTo(Sw.OK);
        assertThat(verify("111111")).isEqualTo(Sw.OK);
        byte[] change = HEX.parseHex("313131313131ffff" + "3232323232323232");
        assertThat(sw(card.transmit(apdu(0, 0x24, 0x00, 0x80, change)))).isEqualTo(Sw.OK);
        assertThat(verify("22222222")).isEqualTo(Sw.OK);
        byte[] wrongOld = HEX.parseHex("313131313131ffff" + "3333333333333333");
        assertThat(sw(card.transmit(apdu(0, 0x24, 0x00, 0x80, wrongOld)))).isEqualTo(0x63C2);
    }

    @Test
    void managementKey_mutualAuthentication_defaultAndWrongKey() throws Exception {
        selectPiv();
        assertThat(authenticate(HEX.parseHex("00".repeat(24)))).isEqualTo(Sw.SECURITY_STATUS_NOT_SATISFIED);
        assertThat(authenticate(PivCard.DEFAULT_MANAGEMENT_KEY)).isEqualTo(Sw.OK);
        // step 2 without step 1
        assertThat(sw(send("0087039B 16 7C14 8008 0000000000000000 8108 0000000000000000")))
                .isEqualTo(Sw.SECURITY_STATUS_NOT_SATISFIED);

        byte[] custom = HEX.parseHex("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978");
        card = PivCard.builder(1).managementKey(custom).build();
        selectPiv();
        assertThat(authenticate(PivCard.DEFAULT_MANAGEMENT_KEY)).isEqualTo(Sw.SECURITY_STATUS_NOT_SATISFIED);
        assertThat(authenticate(custom)).isEqualTo(Sw.OK);
    }

    @Test
    void generate_needsManagementKey_andMakesP256AndP384() throws Exception {
        selectPiv();
        byte[] gen = {(byte) 0xAC, 3, (byte) 0x80, 1, 0x11};
        assertThat(sw(card.transmit(apdu(0, 0x47, 0, 0x9C, gen)))).isEqualTo(Sw.SECURITY_STATUS_NOT_SATISFIED);
        assertThat(card.publicKey(0x9C)).isEmpty();
        authenticate(PivCard.DEFAULT_MANAGEMENT_KEY);
        ECPublicKey k = generate(0x9C, PivCard.ALG_ECCP256);
        assertThat(k.getParams().getCurve().getField().getFieldSize()).isEqualTo(256);
        ECPublicKey k384 = generate(0x82, PivCard.ALG_ECCP384);
        assertThat(k384.getParams().getCurve().getField().getFieldSize()).isEqualTo(384);
        assertThat(card.slotsWithKeys()).containsExactly(0x82, 0x9C);
        assertThat(sw(card.transmit(apdu(0, 0x47, 0, 0x9B, gen)))).isEqualTo(Sw.INCORRECT_P1P2);
        assertThat(sw(card.transmit(apdu(0, 0x47, 0, 0x96, gen)))).isEqualTo(Sw.INCORRECT_P1P2);
        byte[] rsa = {(byte) 0xAC, 3, (byte) 0x80, 1, 0x07};
        assertThat(sw(card.transmit(apdu(0, 0x47, 0, 0x9A, rsa)))).isEqualTo(Sw.INCORRECT_DATA);
        // the management key authentication is gone after selecting another applet
        send("00A4040008A000000527471117");
        selectPiv();
        assertThat(sw(card.transmit(apdu(0, 0x47, 0, 0x9D, gen)))).isEqualTo(Sw.SECURITY_STATUS_NOT_SATISFIED);
    }

    @Test
    void sign_pinOnceSlot_needsVerifyOnce_andTheJdkVerifies() throws Exception {
        selectPiv();
        authenticate(PivCard.DEFAULT_MANAGEMENT_KEY);
        ECPublicKey k = generate(0x9A, PivCard.ALG_ECCP256);
        byte[] msg = "hello".getBytes(StandardCharsets.UTF_8);
        assertThat(sw(sign(0x9A, sha256(msg)))).isEqualTo(Sw.SECURITY_STATUS_NOT_SATISFIED);
        assertThat(verify(PivCard.DEFAULT_PIN)).isEqualTo(Sw.OK);
        for (int i = 0; i < 3; i++) {
            byte[] r = sign(0x9A, sha256(msg));
            assertThat(sw(r)).isEqualTo(Sw.OK);
            assertThat(verifies(k, msg, der(r))).isTrue();
        }
        assertThat(card.signatures(0x9A)).isEqualTo(3);
        assertThat(sw(sign(0x9D, sha256(msg)))).isEqualTo(Sw.REFERENCE_NOT_FOUND); // no key there
        assertThat(sw(sign(0x9A, new byte[33]))).isEqualTo(Sw.INCORRECT_DATA); // longer than the field
        // a power cycle forgets the PIN
        card.reset();
        selectPiv();
        assertThat(sw(sign(0x9A, sha256(msg)))).isEqualTo(Sw.SECURITY_STATUS_NOT_SATISFIED);
    }

    @Test
    void sign_slot9c_pinAlways_needsAVerifyBeforeEachSignature() throws Exception {
        selectPiv();
        authenticate(PivCard.DEFAULT_MANAGEMENT_KEY);
        ECPublicKey k = generate(0x9C, PivCard.ALG_ECCP256);
        byte[] h = sha256(new byte[] {7});
        verify(PivCard.DEFAULT_PIN);
        assertThat(verifies(k, new byte[] {7}, der(sign(0x9C, h)))).isTrue();
        assertThat(sw(sign(0x9C, h))).isEqualTo(Sw.SECURITY_STATUS_NOT_SATISFIED);
        verify(PivCard.DEFAULT_PIN);
        assertThat(sw(sign(0x9C, h))).isEqualTo(Sw.OK);
    }

    @Test
    void sign_slot9e_pinNever_andGenerateCanSetPolicies() throws Exception {
        selectPiv();
        authenticate(PivCard.DEFAULT_MANAGEMENT_KEY);
        generate(0x9E, PivCard.ALG_ECCP256);
        byte[] h = sha256(new byte[] {1});
        assertThat(sw(sign(0x9E, h))).isEqualTo(Sw.OK);
        // 9A with PIN policy NEVER (AA 01 01) through the generation template
        byte[] gen = {(byte) 0xAC, 6, (byte) 0x80, 1, 0x11, (byte) 0xAA, 1, 1};
        assertThat(sw(card.transmit(apdu(0, 0x47, 0, 0x9A, gen)))).isEqualTo(Sw.OK);
        assertThat(sw(sign(0x9A, h))).isEqualTo(Sw.OK);
        byte[] md = data(send("00F7009A"));
        assertThat(HEX.formatHex(Arrays.copyOf(md, 10)))
                .isEqualTo("01011102020101030101"); // P-256, never/never, generated
    }

    @Test
    void touch_policyAlways_delaysTheSignature_cachedOnlyTheFirst() throws Exception {
        card = PivCard.builder(5).touchDelay(Duration.ofMillis(300)).build();
        selectPiv();
        authenticate(PivCard.DEFAULT_MANAGEMENT_KEY);
        generate(0x9E, PivCard.ALG_ECCP256);
        byte[] h = sha256(new byte[] {1});
        card.setTouchPolicy(0x9E, PivCard.TouchPolicy.ALWAYS);
        for (int i = 0; i < 2; i++) {
            long t0 = System.nanoTime();
            assertThat(sw(sign(0x9E, h))).isEqualTo(Sw.OK);
            assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(300);
        }
        card.setTouchPolicy(0x9E, PivCard.TouchPolicy.CACHED);
        long t0 = System.nanoTime();
        assertThat(sw(sign(0x9E, h))).isEqualTo(Sw.OK); // touched a moment ago: cached
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(300);
        assertThat(HEX.formatHex(Arrays.copyOfRange(data(send("00F7009E")), 3, 7)))
                .isEqualTo("02020103");
    }

    @Test
    void putAndGetData_withCommandAndResponseChaining() throws Exception {
        selectPiv();
        byte[] cert = new byte[700];
        for (int i = 0; i < cert.length; i++) {
            cert[i] = (byte) i;
        }
        ByteArrayOutputStream put = new ByteArrayOutputStream();
        put.writeBytes(HEX.parseHex("5C035FC10A 53 8202BC".replace(" ", ""))); // 53 with a 700-byte value
        put.writeBytes(cert);
        assertThat(sw(exchange(0xDB, 0x3F, 0xFF, put.toByteArray()))).isEqualTo(Sw.SECURITY_STATUS_NOT_SATISFIED);
        authenticate(PivCard.DEFAULT_MANAGEMENT_KEY);
        assertThat(sw(exchange(0xDB, 0x3F, 0xFF, put.toByteArray()))).isEqualTo(Sw.OK);

        byte[] first = send("00CB3FFF055C035FC10A");
        assertThat(first).hasSize(258);
        assertThat(sw(first)).isEqualTo(Sw.MORE_DATA); // 61 00: 256 or more bytes to come
        byte[] got = exchange(0xCB, 0x3F, 0xFF, HEX.parseHex("5C035FC10A"));
        assertThat(sw(got)).isEqualTo(Sw.OK);
        byte[] value = data(got);
        assertThat(Arrays.copyOf(value, 4)).containsExactly(0x53, 0x82, 0x02, 0xBC);
        assertThat(Arrays.copyOfRange(value, 4, value.length)).isEqualTo(cert);

        assertThat(sw(send("00CB3FFF055C035FC10B"))).isEqualTo(Sw.FILE_NOT_FOUND);
        assertThat(HEX.formatHex(data(send("00CB3FFF035C017E")))).startsWith("7e124f0ba000000308");
        assertThat(sw(send("00DB3FFF075C035FC10A5300"))).isEqualTo(Sw.OK); // empty value deletes
        assertThat(sw(send("00CB3FFF055C035FC10A"))).isEqualTo(Sw.FILE_NOT_FOUND);
        assertThat(sw(send("00C00000"))).isEqualTo(Sw.CONDITIONS_NOT_SATISFIED); // nothing pending
    }

    @Test
    void metadata_keySlotPinAndManagementKey_attestNotSupported() throws Exception {
        selectPiv();
        assertThat(sw(send("00F7009C"))).isEqualTo(Sw.REFERENCE_NOT_FOUND);
        authenticate(PivCard.DEFAULT_MANAGEMENT_KEY);
        ECPublicKey k = generate(0x9C, PivCard.ALG_ECCP256);
        byte[] md = data(send("00F7009C"));
        Map<Integer, byte[]> t = Tlv.parse(md, 0, md.length);
        assertThat(t.get(0x01)).containsExactly(0x11);
        assertThat(t.get(0x02)).containsExactly(3, 1); // PIN always, touch never
        assertThat(t.get(0x03)).containsExactly(1); // generated
        assertThat(t.get(0x04)).hasSize(67).startsWith(0x86, 0x41, 0x04);
        assertThat(k).isNotNull();
        assertThat(HEX.formatHex(data(send("00F7009B")))).isEqualTo("010103" + "02020001" + "050101");
        verify("000000");
        assertThat(HEX.formatHex(data(send("00F70080")))).isEqualTo("0101ff" + "050101" + "06020302");
        assertThat(sw(send("00F99C00"))).isEqualTo(Sw.INS_NOT_SUPPORTED); // ATTEST
        assertThat(sw(send("00FB0000"))).isEqualTo(Sw.INS_NOT_SUPPORTED); // RESET
        assertThat(sw(send("00F700F9"))).isEqualTo(Sw.INCORRECT_P1P2);
    }

    /** ykpiv_import_private_key's data: 06 <scalar left-padded to the field size> [AA 01 p] [AB 01 t]. */
    private static byte[] importData(BigInteger d, int n, byte[] policies) {
        byte[] scalar = new byte[n];
        byte[] b = d.toByteArray();
        int start = Math.max(0, b.length - n);
        System.arraycopy(b, start, scalar, n - (b.length - start), b.length - start);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x06);
        out.write(n);
        out.writeBytes(scalar);
        out.writeBytes(policies);
        return out.toByteArray();
    }

    private static java.security.KeyPair softwareKeyPair(String curve) throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    @Test
    void importKey_needsManagementKey_keepsThePublicKey_andSigns() throws Exception {
        selectPiv();
        java.security.KeyPair kp = softwareKeyPair("secp256r1");
        BigInteger d = ((java.security.interfaces.ECPrivateKey) kp.getPrivate()).getS();
        byte[] data = importData(d, 32, new byte[0]);
        assertThat(sw(card.transmit(apdu(0, 0xFE, PivCard.ALG_ECCP256, 0x9C, data))))
                .isEqualTo(Sw.SECURITY_STATUS_NOT_SATISFIED);
        assertThat(card.slotsWithKeys()).isEmpty();
        assertThat(authenticate(PivCard.DEFAULT_MANAGEMENT_KEY)).isEqualTo(Sw.OK);
        assertThat(sw(card.transmit(apdu(0, 0xFE, PivCard.ALG_ECCP256, 0x9C, data))))
                .isEqualTo(Sw.OK);
        // the card computed Q = d·G itself: it equals the software public key
        ECPublicKey expected = (ECPublicKey) kp.getPublic();
        assertThat(card.publicKey(0x9C).orElseThrow().getW()).isEqualTo(expected.getW());
        // metadata: P-256, PIN always (9c default), touch never, origin imported, the public point
        byte[] md = data(send("00F7009C"));
        Map<Integer, byte[]> t = Tlv.parse(md, 0, md.length);
        assertThat(t.get(0x01)).containsExactly(0x11);
        assertThat(t.get(0x02)).containsExactly(3, 1);
        assertThat(t.get(0x03)).containsExactly(2);
        assertThat(t.get(0x04)).hasSize(67).startsWith(0x86, 0x41, 0x04);
        // the imported key signs, and the software public key verifies it
        byte[] msg = "imported".getBytes(StandardCharsets.UTF_8);
        assertThat(verify(PivCard.DEFAULT_PIN)).isEqualTo(Sw.OK);
        byte[] r = sign(0x9C, sha256(msg));
        assertThat(sw(r)).isEqualTo(Sw.OK);
        assertThat(verifies(expected, msg, der(r))).isTrue();
        // the scalar is in no log line
        String log = String.join(" ", card.commandLog());
        assertThat(log)
                .contains("00FE119C -> 9000")
                .doesNotContain(HEX.formatHex(data, 2, 34).toUpperCase())
                .doesNotContain(HEX.formatHex(data, 2, 34));
    }

    @Test
    void importKey_p384_withPolicies_andCommandChaining() throws Exception {
        selectPiv();
        authenticate(PivCard.DEFAULT_MANAGEMENT_KEY);
        java.security.KeyPair kp = softwareKeyPair("secp384r1");
        BigInteger d = ((java.security.interfaces.ECPrivateKey) kp.getPrivate()).getS();
        byte[] data = importData(d, 48, HEX.parseHex("aa0101ab0103")); // PIN never, touch cached
        // chained in two parts, as _ykpiv_transfer_data does for long data
        assertThat(sw(card.transmit(apdu(0x10, 0xFE, PivCard.ALG_ECCP384, 0x85, Arrays.copyOf(data, 20)))))
                .isEqualTo(Sw.OK);
        assertThat(card.slotsWithKeys()).isEmpty();
        assertThat(sw(card.transmit(
                        apdu(0, 0xFE, PivCard.ALG_ECCP384, 0x85, Arrays.copyOfRange(data, 20, data.length)))))
                .isEqualTo(Sw.OK);
        assertThat(card.publicKey(0x85).orElseThrow().getW()).isEqualTo(((ECPublicKey) kp.getPublic()).getW());
        assertThat(Arrays.copyOfRange(data(send("00F70085")), 3, 7)).containsExactly(2, 2, 1, 3);
    }

    @Test
    void importKey_refusesBadScalarsSlotsAndAlgorithms() throws Exception {
        selectPiv();
        authenticate(PivCard.DEFAULT_MANAGEMENT_KEY);
        BigInteger n = new BigInteger("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16);
        byte[] none = new byte[0];
        assertThat(sw(card.transmit(apdu(0, 0xFE, 0x11, 0x9A, importData(BigInteger.ZERO, 32, none)))))
                .isEqualTo(Sw.INCORRECT_DATA);
        assertThat(sw(card.transmit(apdu(0, 0xFE, 0x11, 0x9A, importData(n, 32, none)))))
                .isEqualTo(Sw.INCORRECT_DATA);
        assertThat(sw(card.transmit(apdu(0, 0xFE, 0x11, 0x9A, importData(BigInteger.TEN, 31, none)))))
                .isEqualTo(Sw.INCORRECT_DATA); // not padded to 32 bytes
        assertThat(sw(card.transmit(apdu(0, 0xFE, 0x11, 0x9B, importData(BigInteger.TEN, 32, none)))))
                .isEqualTo(Sw.INCORRECT_P1P2); // the management key slot
        assertThat(sw(card.transmit(apdu(0, 0xFE, 0x07, 0x9A, importData(BigInteger.TEN, 32, none)))))
                .isEqualTo(Sw.INCORRECT_P1P2); // RSA 2048 is not emulated
        assertThat(card.slotsWithKeys()).isEmpty();
        // d = 1 gives the generator itself
        assertThat(sw(card.transmit(apdu(0, 0xFE, 0x11, 0x9A, importData(BigInteger.ONE, 32, none)))))
                .isEqualTo(Sw.OK);
        assertThat(card.publicKey(0x9A).orElseThrow().getW().getAffineX().toString(16))
                .isEqualTo("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
    }

    @Test
    void setManagementKey_thenOnlyTheNewKeyAuthenticates() throws Exception {
        selectPiv();
        byte[] next = HEX.parseHex("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978");
        byte[] d = new byte[27];
        d[0] = 0x03;
        d[1] = (byte) 0x9B;
        d[2] = 24;
        System.arraycopy(next, 0, d, 3, 24);
        assertThat(sw(card.transmit(apdu(0, 0xFF, 0xFF, 0xFF, d)))).isEqualTo(Sw.SECURITY_STATUS_NOT_SATISFIED);
        authenticate(PivCard.DEFAULT_MANAGEMENT_KEY);
        assertThat(sw(card.transmit(apdu(0, 0xFF, 0xFF, 0xFF, d)))).isEqualTo(Sw.OK);
        assertThat(authenticate(PivCard.DEFAULT_MANAGEMENT_KEY)).isEqualTo(Sw.SECURITY_STATUS_NOT_SATISFIED);
        assertThat(authenticate(next)).isEqualTo(Sw.OK);
        assertThat(HEX.formatHex(data(send("00F7009B")))).endsWith("050100");
    }

    @Test
    void malformedApdus_andUnknownInstructions_getErrorStatus() {
        assertThat(sw(card.transmit(new byte[] {0, 1}))).isEqualTo(Sw.WRONG_LENGTH);
        assertThat(sw(send("00A40400 09 A000000308"))).isEqualTo(Sw.WRONG_LENGTH); // Lc past the end
        selectPiv();
        assertThat(sw(send("00E00000"))).isEqualTo(Sw.INS_NOT_SUPPORTED);
        assertThat(sw(send("80FD0000"))).isEqualTo(Sw.CLA_NOT_SUPPORTED);
        assertThat(sw(send("0087119C 03 7C0181"))).isEqualTo(Sw.INCORRECT_DATA); // truncated TLV
    }

    @Test
    void commandLog_keepsHeadersAndStatus_neverData() {
        selectPiv();
        verify("424242");
        assertThat(card.commandLog()).containsExactly("00A40400 -> 9000", "00200080 -> 63C2");
        assertThat(String.join(" ", card.commandLog())).doesNotContain("3432").doesNotContain("424242");
    }

    /** Keys never leave the card: no APDU returns one, and the class has no accessor that could. */
    @Test
    void noPublicMethodReturnsPrivateKeyMaterial() {
        for (Method m : PivCard.class.getMethods()) {
            if (Modifier.isPublic(m.getModifiers())) {
                assertThat(PrivateKey.class.isAssignableFrom(m.getReturnType()))
                        .as(m.getName())
                        .isFalse();
                assertThat(java.security.KeyPair.class.isAssignableFrom(m.getReturnType()))
                        .as(m.getName())
                        .isFalse();
            }
        }
    }
}
