package dev.custody.daemon.repo.testing;

import dev.custody.daemon.keys.KeyService;
import dev.custody.pkcs11.HsmToken;
import dev.custody.pkcs11.KeyAlgorithm;
import dev.custody.pkcs11.PinSource;
import dev.custody.pkcs11.Pkcs11;
import dev.custody.pkcs11.Pkcs11Backend;
import dev.custody.pkcs11.SignatureFormat;
import dev.custody.pkcs11.TokenException;
import dev.custody.pkcs11.TokenKey;
import dev.custody.pkcs11.TokenSelector;
import dev.custody.testhsm.SoftHsm;
import dev.custody.tuf.SigningException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.sign.Signer;
import dev.custody.tuf.sign.SignerFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A test-only {@link KeyService} over one SoftHSM2 token, until the keys extension is on main: keys
 * are generated on the token (non-extractable) and found again by scanning it, so a restarted daemon
 * finds the keys an earlier run made. For a child-JVM daemon it is found with ServiceLoader and reads
 * the token label and PIN from {@code CUSTODY_TEST_TOKEN} and {@code CUSTODY_TEST_PIN}.
 */
public final class SoftHsmKeyService implements KeyService, AutoCloseable {
  private Pkcs11Backend backend;
  private HsmToken token;
  private final Map<String, Signer> byId = new ConcurrentHashMap<>();
  private final Map<String, KeyRecord> records = new ConcurrentHashMap<>();

  /** For ServiceLoader in a child daemon; opens the token on first use. */
  public SoftHsmKeyService() {
  }

  public SoftHsmKeyService(String label, String pin) throws TokenException {
    open(label, pin);
  }

  private static SoftHsmKeyService shared;

  /**
   * One token for this JVM, created on first use and never closed: the PKCS#11 module reads the slot
   * list once, so tokens created after it was loaded would not be seen.
   */
  public static synchronized SoftHsmKeyService shared() throws IOException, TokenException {
    if (shared == null) {
      String label = "repo-" + UUID.randomUUID().toString().substring(0, 8);
      SoftHsm.Token t = SoftHsm.forThisProcess().createToken(label);
      shared = new SoftHsmKeyService(t.label(), t.userPin());
    }
    return shared;
  }

  private synchronized HsmToken token() {
    if (token == null) {
      try {
        open(System.getenv("CUSTODY_TEST_TOKEN"), System.getenv("CUSTODY_TEST_PIN"));
      } catch (TokenException e) {
        throw new IllegalStateException(e);
      }
    }
    return token;
  }

  private void open(String label, String pin) throws TokenException {
    backend = Pkcs11.open(SoftHsm.MODULE);
    token = backend.open(TokenSelector.byLabel(label), PinSource.of(pin.toCharArray()));
    token.login();
  }

  @Override
  public Optional<Signer> findSigner(String keyId) {
    Signer s = byId.get(keyId);
    if (s != null) {
      return Optional.of(s);
    }
    try {
      for (TokenKey k : token().listKeys()) {
        Signer t = new TokenSigner(token(), k);
        byId.putIfAbsent(t.keyId(), t);
      }
    } catch (TokenException e) {
      throw new IllegalStateException(e);
    }
    return Optional.ofNullable(byId.get(keyId));
  }

  @Override
  public SignerFactory signerFactory(Optional<String> tokenName) {
    return (gun, role) -> {
      String label = role.replace('/', '-') + "-" + UUID.randomUUID().toString().substring(0, 8);
      try {
        TokenKey k = token().generateKeyPair(KeyAlgorithm.EC_P256, label.getBytes(StandardCharsets.UTF_8), label);
        Signer s = new TokenSigner(token(), k);
        byId.put(s.keyId(), s);
        return s;
      } catch (TokenException e) {
        throw new SigningException(null, e.getMessage(), e);
      }
    };
  }

  /** A delegation key made the way {@code key.generate} will: on the token, public part out. */
  public Signer generate(String role) throws SigningException {
    return signerFactory(Optional.empty()).generate("", role);
  }

  @Override
  public List<KeyRecord> keysFor(String gun) {
    List<KeyRecord> out = new ArrayList<>();
    records.values().stream().filter(r -> r.gun().map(gun::equals).orElse(false)).forEach(out::add);
    return out;
  }

  @Override
  public void assign(String keyId, String role, String gun) {
    records.put(keyId, new KeyRecord(keyId, role, Optional.of(gun), "ecdsa", "softhsm", "0"));
  }

  @Override
  public synchronized void close() {
    if (token != null) {
      token.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private static final class TokenSigner implements Signer {
    private final HsmToken token;
    private final TokenKey key;
    private final TufKey tufKey;

    TokenSigner(HsmToken token, TokenKey key) {
      this.token = token;
      this.key = key;
      this.tufKey = PublicKeys.toTufKey(key.publicKey());
    }

    @Override
    public TufKey key() {
      return tufKey;
    }

    @Override
    public PublicKey publicKey() {
      return key.publicKey();
    }

    @Override
    public byte[] sign(byte[] message) throws SigningException {
      try {
        return token.sign(key.id(), message, SignatureFormat.RAW);
      } catch (TokenException e) {
        throw new SigningException(tufKey.id(), e.getMessage(), e);
      }
    }
  }
}
