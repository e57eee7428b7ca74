package dev.custody.tuf.testing;

import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.sign.Signer;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Security;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * The private keys of a notary CLI trust dir ({@code private/<canonical key ID>.key}, encrypted PKCS#8),
 * decrypted with the test passphrase, as a {@link KeyRing}: lets tests re-sign real notary repositories
 * (the swizzler) and edit them ("their writes, our reads"). Also reads plain PEM keys (openssl's).
 */
public final class NotaryKeys implements KeyRing {
    private final Map<String, PrivateKey> byCanonicalId = new HashMap<>();

    public static NotaryKeys load(Path trustDir, String passphrase) throws IOException {
        if (Security.getProvider("BC") == null) {
            Security.addProvider(new BouncyCastleProvider());
        }
        NotaryKeys keys = new NotaryKeys();
        Path dir = trustDir.resolve("private");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.filter(f -> f.toString().endsWith(".key")).toList()) {
                    String id = p.getFileName().toString().replace(".key", "");
                    keys.byCanonicalId.put(id, read(p, passphrase));
                }
            }
        }
        return keys;
    }

    /** Adds a plain PEM private key (e.g. the fixture's openssl delegation key) under the given public key. */
    public NotaryKeys with(TufKey publicKey, Path pem) throws IOException {
        try {
            byCanonicalId.put(PublicKeys.canonicalKeyId(publicKey), read(pem, null));
        } catch (dev.custody.tuf.UnsupportedKeyTypeException e) {
            throw new IOException(e);
        }
        return this;
    }

    public int size() {
        return byCanonicalId.size();
    }

    @Override
    public Optional<Signer> find(TufKey key) {
        try {
            PrivateKey k = byCanonicalId.get(PublicKeys.canonicalKeyId(key));
            if (k == null) {
                return Optional.empty();
            }
            return Optional.of(new SoftwareSigner(key, PublicKeys.toPublicKey(key, null), k));
        } catch (dev.custody.tuf.UnsupportedKeyTypeException e) {
            return Optional.empty();
        }
    }

    static PrivateKey read(Path p, String passphrase) throws IOException {
        PrivateKey k = readBc(p, passphrase);
        try {
            // hand the JDK its own key class (BC's is refused by the JDK's signature providers)
            return java.security.KeyFactory.getInstance(k.getAlgorithm().startsWith("EC") ? "EC" : k.getAlgorithm())
                    .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(k.getEncoded()));
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot convert " + p, e);
        }
    }

    private static PrivateKey readBc(Path p, String passphrase) throws IOException {
        try (Reader r = Files.newBufferedReader(p);
                PEMParser parser = new PEMParser(r)) {
            Object o = parser.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter().setProvider("BC");
            if (o instanceof PKCS8EncryptedPrivateKeyInfo enc) {
                var dec = new JceOpenSSLPKCS8DecryptorProviderBuilder()
                        .setProvider("BC")
                        .build(passphrase.toCharArray());
                return conv.getPrivateKey(enc.decryptPrivateKeyInfo(dec));
            }
            if (o instanceof PEMKeyPair kp) {
                return conv.getKeyPair(kp).getPrivate();
            }
            if (o instanceof org.bouncycastle.asn1.pkcs.PrivateKeyInfo pki) {
                return conv.getPrivateKey(pki);
            }
            throw new IOException("unexpected PEM object in " + p + ": " + o);
        } catch (org.bouncycastle.operator.OperatorCreationException | org.bouncycastle.pkcs.PKCSException e) {
            throw new IOException("cannot decrypt " + p, e);
        }
    }
}
