package dev.custody.daemon.keys;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.custody.daemon.state.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code STATE/keys.json}: which TUF key lives on which token, under which CKA_ID, for which role and
 * repository. Only public data: the public key (DER SubjectPublicKeyInfo) is kept so that a key's
 * TUF form is known while its token is absent. Every change is written atomically (temp + fsync +
 * rename + directory fsync) before it is acknowledged.
 */
public final class KeyInventory {
    /** One key. {@code gun} is null for keys not tied to a repository (e.g. a root key before init). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Entry(
            String keyId,
            String tokenName,
            String tokenSerial,
            String ckaId,
            String label,
            String role,
            String gun,
            String algorithm,
            String publicKey,
            String created) {
        public Entry {
            Objects.requireNonNull(keyId, "keyId");
            Objects.requireNonNull(tokenName, "tokenName");
            Objects.requireNonNull(ckaId, "ckaId");
            Objects.requireNonNull(algorithm, "algorithm");
            Objects.requireNonNull(publicKey, "publicKey");
        }

        public byte[] ckaIdBytes() {
            return HexFormat.of().parseHex(ckaId);
        }

        public Optional<String> findGun() {
            return Optional.ofNullable(gun);
        }

        /** The public key from its stored DER form. */
        public PublicKey decodePublicKey() {
            byte[] der = Base64.getDecoder().decode(publicKey);
            try {
                String alg = algorithm.equals("ed25519") ? "Ed25519" : "EC";
                return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(
                        "keys.json: the public key of " + keyId + " does not decode: " + e.getMessage(), e);
            }
        }

        Entry withAssignment(String newRole, String newGun) {
            return new Entry(
                    keyId, tokenName, tokenSerial, ckaId, label, newRole, newGun, algorithm, publicKey, created);
        }
    }

    /** The file's shape. */
    record FileForm(int version, List<Entry> keys) {}

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final Path file;
    private final Map<String, Entry> byKeyId = new LinkedHashMap<>(); // guarded by this

    private KeyInventory(Path file) {
        this.file = file;
    }

    /** Loads {@code file}, or starts empty if it does not exist yet. */
    public static KeyInventory open(Path file) throws IOException {
        KeyInventory inv = new KeyInventory(file);
        if (Files.exists(file)) {
            FileForm f;
            try {
                f = MAPPER.readValue(file.toFile(), FileForm.class);
            } catch (IOException e) {
                throw new IOException(
                        "key inventory " + file + " is not readable JSON (" + e.getMessage()
                                + "); restore it from a backup or move it away (keys stay on their tokens)",
                        e);
            }
            if (f.keys() != null) {
                f.keys().forEach(k -> inv.byKeyId.put(k.keyId(), k));
            }
        }
        return inv;
    }

    public Path file() {
        return file;
    }

    public synchronized Optional<Entry> find(String keyId) {
        return Optional.ofNullable(byKeyId.get(keyId));
    }

    /** All keys, newest first. */
    public synchronized List<Entry> all() {
        List<Entry> out = new ArrayList<>(byKeyId.values());
        out.sort(Comparator.comparing((Entry e) -> String.valueOf(e.created())).reversed());
        return out;
    }

    /** Adds or replaces a key, durable on return. */
    public synchronized void put(Entry e) throws IOException {
        Entry before = byKeyId.put(e.keyId(), e);
        try {
            save();
        } catch (IOException ex) {
            if (before == null) {
                byKeyId.remove(e.keyId());
            } else {
                byKeyId.put(e.keyId(), before);
            }
            throw ex;
        }
    }

    /** Removes a key, durable on return; false if it was not recorded. */
    public synchronized boolean remove(String keyId) throws IOException {
        Entry before = byKeyId.remove(keyId);
        if (before == null) {
            return false;
        }
        try {
            save();
        } catch (IOException ex) {
            byKeyId.put(keyId, before);
            throw ex;
        }
        return true;
    }

    private void save() throws IOException {
        byte[] json = MAPPER.writeValueAsBytes(new FileForm(1, new ArrayList<>(byKeyId.values())));
        AtomicFiles.write(file, json);
    }
}
