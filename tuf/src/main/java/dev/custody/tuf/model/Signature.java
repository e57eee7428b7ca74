package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One entry of {@code signatures}: key ID, method ({@code ecdsa}: raw r‖s over SHA-256; {@code eddsa}:
 * Ed25519; {@code rsapss}, {@code rsapkcs1v15}: RSA over SHA-256) and the signature bytes. Notary
 * lower-cases the method when reading; so does this.
 */
public record Signature(String keyId, String method, byte[] value, Map<String, JsonNode> extra) {
    private static final Set<String> KNOWN = Set.of("keyid", "method", "sig");

    public Signature {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(method, "method");
        value = value.clone();
        extra = Json.copyExtras(extra);
    }

    public Signature(String keyId, String method, byte[] value) {
        this(keyId, method, value, Map.of());
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.withExtras(extra);
        o.put("keyid", keyId);
        o.put("method", method);
        o.put("sig", Base64.getEncoder().encodeToString(value));
        return o;
    }

    public static Signature fromJson(JsonNode n, String role) throws MalformedMetadataException {
        ObjectNode o = Json.object(n, "signature", role);
        return new Signature(
                Json.text(o, "keyid", role),
                Json.text(o, "method", role).toLowerCase(java.util.Locale.ROOT),
                Json.base64(Json.text(o, "sig", role), "sig", role),
                Json.extras(o, KNOWN));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Signature s
                && keyId.equals(s.keyId)
                && method.equals(s.method)
                && java.util.Arrays.equals(value, s.value)
                && extra.equals(s.extra);
    }

    @Override
    public int hashCode() {
        return Objects.hash(keyId, method, java.util.Arrays.hashCode(value));
    }

    @Override
    public String toString() {
        return "Signature[" + keyId + " " + method + "]";
    }
}
