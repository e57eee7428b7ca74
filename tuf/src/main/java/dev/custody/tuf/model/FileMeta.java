package dev.custody.tuf.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Length and hashes of a target file, or of a metadata file in snapshot/timestamp {@code meta}
 * (Notary writes no {@code version} there). {@code hashes} maps an algorithm name ({@code sha256},
 * {@code sha512}) to base64 text.
 *
 * @param custom the {@code custom} field, or null when absent
 */
public record FileMeta(long length, Map<String, String> hashes, JsonNode custom, Map<String, JsonNode> extra) {
    private static final Set<String> KNOWN = Set.of("length", "hashes", "custom");

    public FileMeta {
        if (length < 0) {
            throw new IllegalArgumentException("negative length");
        }
        hashes = Json.sortedCopy(hashes);
        custom = custom == null ? null : custom.deepCopy();
        extra = Json.copyExtras(extra);
    }

    /** Length, SHA-256 and SHA-512 of {@code data}, as {@code notary add} records a file. */
    public static FileMeta of(byte[] data) {
        return new FileMeta(
                data.length,
                Map.of("sha256", b64(Digests.digest("SHA-256", data)), "sha512", b64(Digests.digest("SHA-512", data))),
                null,
                Map.of());
    }

    /** A target known by digest only, as {@code notary addhash} records it. */
    public static FileMeta ofHashes(long length, byte[] sha256, byte[] sha512) {
        Map<String, String> h = new TreeMap<>();
        if (sha256 != null) {
            h.put("sha256", b64(sha256));
        }
        if (sha512 != null) {
            h.put("sha512", b64(sha512));
        }
        return new FileMeta(length, h, null, Map.of());
    }

    public Optional<byte[]> hash(String algorithm) {
        String h = hashes.get(algorithm);
        return h == null ? Optional.empty() : Optional.of(Base64.getDecoder().decode(h));
    }

    public Optional<JsonNode> customData() {
        return Optional.ofNullable(custom).map(JsonNode::deepCopy);
    }

    public FileMeta withCustom(JsonNode newCustom) {
        return new FileMeta(length, hashes, newCustom, extra);
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.withExtras(extra);
        ObjectNode h = o.objectNode();
        hashes.forEach(h::put);
        o.set("hashes", h);
        o.put("length", length);
        if (custom != null) {
            o.set("custom", custom.deepCopy());
        }
        return o;
    }

    public static FileMeta fromJson(JsonNode n, String role, String name) throws MalformedMetadataException {
        ObjectNode o = Json.object(n, "meta for " + name, role);
        long length = Json.integer(Json.required(o, "length", role), name + ".length", role);
        if (length < 0) {
            throw new MalformedMetadataException(role, name + ": negative length");
        }
        ObjectNode h = Json.object(Json.required(o, "hashes", role), name + ".hashes", role);
        Map<String, String> hashes = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : h.properties()) {
            if (!e.getValue().isTextual()) {
                throw new MalformedMetadataException(role, name + ": hash " + e.getKey() + " must be a string");
            }
            Json.base64(e.getValue().textValue(), name + ".hashes." + e.getKey(), role);
            hashes.put(e.getKey(), e.getValue().textValue());
        }
        return new FileMeta(length, hashes, o.get("custom"), Json.extras(o, KNOWN));
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }
}
