package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import dev.custody.tuf.canonical.CanonicalJson;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A public key object as it appears in {@code root.json} and in delegations:
 * {@code {"keytype":…,"keyval":{"private":null,"public":base64}}}. Notary's key types are
 * {@code ecdsa} and {@code rsa} (public = DER SubjectPublicKeyInfo), {@code ecdsa-x509} and
 * {@code rsa-x509} (public = a PEM certificate, possibly followed by intermediates) and
 * {@code ed25519} (public = the 32 raw key bytes). Unknown types are kept as they are; they are
 * refused only when a role relies on them.
 *
 * @param keyType the {@code keytype} string
 * @param publicValue the decoded {@code keyval.public} bytes
 * @param privateValue {@code keyval.private} as found (JSON null in all public metadata)
 * @param extra unknown fields of the key object, kept for the round trip
 * @param keyvalExtra unknown fields of {@code keyval}
 */
public record TufKey(
        String keyType,
        byte[] publicValue,
        JsonNode privateValue,
        Map<String, JsonNode> extra,
        Map<String, JsonNode> keyvalExtra) {
    private static final Set<String> KNOWN = Set.of("keytype", "keyval");
    private static final Set<String> KNOWN_KEYVAL = Set.of("public", "private");

    public TufKey {
        Objects.requireNonNull(keyType, "keyType");
        publicValue = publicValue.clone();
        privateValue = privateValue == null ? NullNode.getInstance() : privateValue.deepCopy();
        extra = Json.copyExtras(extra);
        keyvalExtra = Json.copyExtras(keyvalExtra);
    }

    public TufKey(String keyType, byte[] publicValue) {
        this(keyType, publicValue, NullNode.getInstance(), Map.of(), Map.of());
    }

    @Override
    public byte[] publicValue() {
        return publicValue.clone();
    }

    /**
     * The key ID: hex SHA-256 of the canonical JSON of {@code {"keytype","keyval":{"private":null,"public"}}}
     * (Notary's {@code TUFKey.ID()}; unknown fields and any private part are left out).
     */
    public String id() {
        ObjectNode keyval = CanonicalJson.object();
        keyval.putNull("private");
        keyval.put("public", Base64.getEncoder().encodeToString(publicValue));
        ObjectNode o = CanonicalJson.object();
        o.put("keytype", keyType);
        o.set("keyval", keyval);
        return Digests.sha256Hex(CanonicalJson.encode(o));
    }

    public ObjectNode toJson() {
        ObjectNode keyval = Json.withExtras(keyvalExtra);
        keyval.set("private", privateValue.deepCopy());
        keyval.put("public", Base64.getEncoder().encodeToString(publicValue));
        ObjectNode o = Json.withExtras(extra);
        o.put("keytype", keyType);
        o.set("keyval", keyval);
        return o;
    }

    public static TufKey fromJson(JsonNode n, String role) throws MalformedMetadataException {
        ObjectNode o = Json.object(n, "key", role);
        String type = Json.text(o, "keytype", role);
        ObjectNode keyval = Json.object(Json.required(o, "keyval", role), "keyval", role);
        byte[] pub = Json.base64(Json.text(keyval, "public", role), "keyval.public", role);
        JsonNode priv = keyval.get("private");
        return new TufKey(
                type,
                pub,
                priv == null ? NullNode.getInstance() : priv,
                Json.extras(o, KNOWN),
                Json.extras(keyval, KNOWN_KEYVAL));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TufKey k
                && keyType.equals(k.keyType)
                && java.util.Arrays.equals(publicValue, k.publicValue)
                && privateValue.equals(k.privateValue)
                && extra.equals(k.extra)
                && keyvalExtra.equals(k.keyvalExtra);
    }

    @Override
    public int hashCode() {
        return Objects.hash(keyType, java.util.Arrays.hashCode(publicValue));
    }

    @Override
    public String toString() {
        return "TufKey[" + keyType + " " + id() + "]";
    }
}
