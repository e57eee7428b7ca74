package dev.custody.p11module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.protocol.BadRequestException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * custodyd's side of the front door on the socket: {@code pkcs11.keys} and {@code pkcs11.sign}'s checks, and
 * CKM_ECDSA with digests other than SHA-256 (P-256 uses the leftmost 256 bits), checked with the JDK and
 * with openssl through the module.
 */
class FrontDoorMethodsTest {
    @TempDir
    Path dir;

    private static byte[] b64(String s) {
        return Base64.getDecoder().decode(s);
    }

    @Test
    void pkcs11Sign_badInputs_areBadRequest_digestsOfOtherLengthsVerify() throws Exception {
        try (FrontDoorHarness h = new FrontDoorHarness(dir)) {
            h.start("");
            String ec =
                    h.generate("targets", "example.com/m", "ecdsa").get("keyId").asText();
            String ed = h.generate("root", null, "ed25519").get("keyId").asText();
            JsonNode keys = h.client.call("pkcs11.keys", Map.of()).get("keys");
            assertThat(keys).extracting(k -> k.get("label").asText()).contains("example.com/m/targets", "root");
            JsonNode ecInfo = null;
            for (JsonNode k : keys) {
                if (k.get("keyId").asText().equals(ec)) {
                    ecInfo = k;
                }
            }
            assertThat(ecInfo.get("algorithm").asText()).isEqualTo("ecdsa");
            assertThat(ecInfo.get("approval").asBoolean()).isFalse();
            PublicKey pub = KeyFactory.getInstance("EC")
                    .generatePublic(
                            new X509EncodedKeySpec(b64(ecInfo.get("publicKey").asText())));

            String d32 = Base64.getEncoder().encodeToString(new byte[32]);
            assertThatThrownBy(
                            () -> h.client.call("pkcs11.sign", Map.of("keyId", ed, "mechanism", "ecdsa", "data", d32)))
                    .isInstanceOf(BadRequestException.class)
                    .hasMessageContaining("mechanism ecdsa does not apply");
            assertThatThrownBy(
                            () -> h.client.call("pkcs11.sign", Map.of("keyId", ec, "mechanism", "eddsa", "data", d32)))
                    .isInstanceOf(BadRequestException.class);
            assertThatThrownBy(() -> h.client.call(
                            "pkcs11.sign",
                            Map.of(
                                    "keyId",
                                    ec,
                                    "mechanism",
                                    "ecdsa",
                                    "data",
                                    Base64.getEncoder().encodeToString(new byte[10]))))
                    .isInstanceOf(BadRequestException.class)
                    .hasMessageContaining("20..64 bytes");
            assertThatThrownBy(() -> h.client.call("pkcs11.sign", Map.of("keyId", ec, "mechanism", "rsa", "data", d32)))
                    .isInstanceOf(BadRequestException.class);

            // a SHA-384 digest: ECDSA on P-256 signs its leftmost 256 bits; the JDK's NONEwithECDSA agrees
            byte[] sha384 = MessageDigest.getInstance("SHA-384").digest("release".getBytes());
            JsonNode r = h.client.call(
                    "pkcs11.sign",
                    Map.of(
                            "keyId",
                            ec,
                            "mechanism",
                            "ecdsa",
                            "data",
                            Base64.getEncoder().encodeToString(sha384)));
            Signature v = Signature.getInstance("NONEwithECDSAinP1363Format");
            v.initVerify(pub);
            v.update(sha384);
            assertThat(v.verify(b64(r.get("signature").asText()))).isTrue();
            // a SHA-1 digest (20 bytes), through the module, checked by openssl
            Path dgst = Files.write(
                    dir.resolve("sha1"), MessageDigest.getInstance("SHA-1").digest("x".getBytes()));
            FrontDoorHarness.Run s =
                    h.signEcdsa(h.env(null), ec, dgst, dir.resolve("sig"), "--signature-format", "openssl");
            assertThat(s.exit()).as(s.all()).isZero();
            FrontDoorHarness.Run ok = h.verifyDigest(h.publicKeyPem(ec), dgst, dir.resolve("sig"));
            assertThat(ok.all()).contains("Signature Verified Successfully");
            assertThat(h.lastAudit("pkcs11.sign").path("details").path("digest").asText())
                    .hasSize(40);
        }
    }
}
