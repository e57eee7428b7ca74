package dev.custody.pkcs11.demo;

import dev.custody.pkcs11.EcKeys;
import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.KeyAlgorithm;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.Pkcs11;
import dev.custody.pkcs11.Pkcs11Backend;
import dev.custody.pkcs11.PrivateKeyAttributes;
import dev.custody.pkcs11.SignatureFormat;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenInfo;
import dev.custody.pkcs11.TokenKey;
import dev.custody.pkcs11.TokenSelector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.Base64;

/**
 * The token part of {@code make demo}: lists the module's tokens, generates a P-256 key on the demo
 * token, shows its protection attributes, signs a TUF-style payload and verifies the signature with the
 * JDK. Arguments: MODULE TOKEN-SELECTOR; the PIN comes from $CUSTODY_DEMO_PIN (never argv).
 */
public final class TokenDemo {
    private TokenDemo() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: TokenDemo MODULE TOKEN (label, serial:S or pkcs11: URI); PIN in $CUSTODY_DEMO_PIN");
            System.exit(2);
        }
        try (Pkcs11Backend backend = Pkcs11.open(Path.of(args[0]))) {
            System.out.println("Tokens in " + args[0] + ":");
            for (TokenInfo t : backend.listTokens()) {
                if (t.present()) {
                    System.out.printf("  %-24s serial %-18s %s / %s%s%n", t.label(), t.serial(), t.manufacturer(),
                            t.model(), t.userPinLocked() ? "  [PIN LOCKED]" : "");
                }
            }
            try (HsmToken token = backend.open(TokenSelector.parse(args[1]), PinSource.env("CUSTODY_DEMO_PIN"))) {
                token.login();
                byte[] id = new byte[8];
                new SecureRandom().nextBytes(id);
                TokenKey key = token.generateKeyPair(KeyAlgorithm.EC_P256, id, "demo/targets");
                PrivateKeyAttributes a = token.privateKeyAttributes(id);
                System.out.println();
                System.out.println("Generated on token " + token.info().displayName() + ": " + key);
                System.out.printf("  CKA_TOKEN=%s CKA_PRIVATE=%s CKA_SENSITIVE=%s CKA_EXTRACTABLE=%s%n",
                        a.token(), a.isPrivate(), a.sensitive(), a.extractable());
                System.out.println("  public key (SPKI, base64): "
                        + Base64.getEncoder().encodeToString(key.publicKey().getEncoded()));
                byte[] payload = "{\"_type\":\"Targets\",\"version\":1}".getBytes(StandardCharsets.UTF_8);
                byte[] sig = token.sign(id, payload, SignatureFormat.RAW);
                Signature v = Signature.getInstance("SHA256withECDSA");
                v.initVerify(key.publicKey());
                v.update(payload);
                System.out.println("  signature r||s (" + sig.length + " bytes): " + Base64.getEncoder().encodeToString(sig));
                System.out.println("  verified by the JDK against the token's public key: " + v.verify(EcKeys.rawToDer(sig)));
                token.deleteKey(id);
                System.out.println("  demo key removed from the token");
            }
        } catch (TokenException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        }
    }
}
