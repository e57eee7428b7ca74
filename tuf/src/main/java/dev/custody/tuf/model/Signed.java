package dev.custody.tuf.model;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import dev.custody.tuf.WrongTypeException;
import dev.custody.tuf.canonical.CanonicalJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A metadata file: the parsed {@code signed} part, the canonical bytes signatures are made and checked
 * over, and the signatures. The canonical bytes come from the {@code signed} JSON tree as received, so
 * fields the model does not know are covered by the signature check and kept.
 *
 * @param role the role name this file was read or built as ({@code targets/releases} for a delegation)
 * @param signed the parsed {@code signed} part
 * @param canonical canonical JSON of the {@code signed} object as received (or as built)
 * @param signatures the signatures, in file order
 */
public record Signed<T extends Metadata>(String role, T signed, byte[] canonical, List<Signature> signatures) {
    public Signed {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(signed, "signed");
        canonical = canonical.clone();
        signatures = List.copyOf(signatures);
    }

    /** Unsigned metadata for {@code role}, ready for signatures. */
    public static <T extends Metadata> Signed<T> unsigned(String role, T meta) {
        return new Signed<>(role, meta, CanonicalJson.encode(meta.toJson()), List.of());
    }

    @Override
    public byte[] canonical() {
        return canonical.clone();
    }

    public Signed<T> withSignatures(List<Signature> sigs) {
        return new Signed<>(role, signed, canonical, sigs);
    }

    /** Adds a signature, replacing an earlier one by the same key. */
    public Signed<T> plusSignature(Signature sig) {
        List<Signature> s = new ArrayList<>(signatures);
        s.removeIf(x -> x.keyId().equals(sig.keyId()));
        s.add(sig);
        return withSignatures(s);
    }

    public int version() {
        return signed.version();
    }

    /**
     * The file as Notary writes it: {@code {"signed":<canonical>,"signatures":[{"keyid","method","sig"}]}}
     * (Go struct order, no whitespace), with Go's {@code json.Marshal} escaping applied to the embedded
     * canonical bytes: {@code <}, {@code >}, {@code &}, U+2028 and U+2029 become {@code &#92;u003c},
     * {@code &#92;u003e}, {@code &#92;u0026}, {@code &#92;u2028}, {@code &#92;u2029} (the signature stays over the raw
     * canonical form). Control characters, which Notary cannot publish at all, are escaped as
     * {@code &#92;u00XX} so the file is still JSON. Snapshot and timestamp hashes are over these bytes.
     */
    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(canonical.length + 200 * signatures.size() + 32);
        out.writeBytes("{\"signed\":".getBytes(StandardCharsets.US_ASCII));
        goEscape(canonical, out);
        out.writeBytes(",\"signatures\":[".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < signatures.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            Signature s = signatures.get(i);
            StringBuilder sb = new StringBuilder("{\"keyid\":");
            ObjectNode o = s.toJson();
            // keyid, method, sig first (Go struct order), then anything unknown in canonical form
            sb.append(q(s.keyId()))
                    .append(",\"method\":")
                    .append(q(s.method()))
                    .append(",\"sig\":")
                    .append(q(o.get("sig").textValue()));
            goEscape(sb.toString().getBytes(StandardCharsets.UTF_8), out); // a control character in a keyid too
            o.remove(List.of("keyid", "method", "sig"));
            ByteArrayOutputStream restOut = new ByteArrayOutputStream();
            goEscape(CanonicalJson.encode(o), restOut);
            byte[] rest = restOut.toByteArray();
            if (rest.length > 2) {
                out.write(',');
                out.write(rest, 1, rest.length - 1);
            } else {
                out.write('}');
            }
        }
        out.writeBytes("]}".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /**
     * Go's {@code encoding/json} compaction of a RawMessage (HTML-safe). In canonical JSON these bytes can
     * only occur inside strings, so escaping them bytewise is exact.
     */
    private static void goEscape(byte[] b, ByteArrayOutputStream out) {
        for (int i = 0; i < b.length; i++) {
            int c = b[i] & 0xff;
            if (c == '<' || c == '>' || c == '&' || c < 0x20) {
                out.writeBytes(String.format("\\u%04x", c).getBytes(StandardCharsets.US_ASCII));
            } else if (c == 0xE2
                    && i + 2 < b.length
                    && (b[i + 1] & 0xff) == 0x80
                    && ((b[i + 2] & 0xff) == 0xA8 || (b[i + 2] & 0xff) == 0xA9)) {
                out.writeBytes(((b[i + 2] & 0xff) == 0xA8 ? "\\u2028" : "\\u2029").getBytes(StandardCharsets.US_ASCII));
                i += 2;
            } else {
                out.write(c);
            }
        }
    }

    private static String q(String s) {
        return new String(CanonicalJson.encode(CanonicalJson.nodes().textNode(s)), StandardCharsets.UTF_8);
    }

    /**
     * Parses a metadata file as {@code role}.
     *
     * @throws MalformedMetadataException if it is not JSON of the expected shape
     * @throws WrongTypeException if {@code _type} is not the type of {@code role}
     */
    @SuppressWarnings("unchecked")
    public static <T extends Metadata> Signed<T> parse(byte[] raw, String role, MetaType<T> type)
            throws MalformedMetadataException, WrongTypeException {
        JsonNode root;
        try {
            root = CanonicalJson.parse(raw);
        } catch (JsonProcessingException e) {
            throw new MalformedMetadataException(role, "not JSON: " + e.getOriginalMessage(), e);
        }
        ObjectNode file = Json.object(root, "metadata file", role);
        ObjectNode signedNode = Json.object(Json.required(file, "signed", role), "signed", role);
        byte[] canonical;
        try {
            canonical = CanonicalJson.encode(signedNode);
        } catch (IllegalArgumentException e) {
            throw new MalformedMetadataException(role, e.getMessage(), e);
        }
        JsonNode t = signedNode.get("_type");
        if (t == null || !t.isTextual()) {
            throw new MalformedMetadataException(role, "missing field '_type'");
        }
        if (!t.textValue().equals(type.type())) {
            throw new WrongTypeException(role, type.type(), t.textValue());
        }
        T meta = type.parse(signedNode, role);
        JsonNode sn = Json.required(file, "signatures", role);
        if (!sn.isArray() && !sn.isNull()) {
            throw new MalformedMetadataException(role, "'signatures' must be an array");
        }
        List<Signature> sigs = new ArrayList<>();
        if (sn.isArray()) {
            for (JsonNode s : (ArrayNode) sn) {
                sigs.add(Signature.fromJson(s, role));
            }
        }
        return new Signed<>(role, meta, canonical, sigs);
    }

    private static final JsonFactory VERSION_READER = new JsonFactory();

    /**
     * The {@code signed.version} of a metadata file, read by streaming through it: no tree, no canonical
     * form, no model. For reporting the version of a file this process signed (a targets file with tens
     * of thousands of entries is several MiB; a full {@link #parse} holds it several times over); use
     * {@link #parse} to check a file.
     *
     * @throws MalformedMetadataException if it is not JSON or has no integral {@code signed.version}
     */
    public static int versionOf(byte[] raw, String role) throws MalformedMetadataException {
        try (JsonParser p = VERSION_READER.createParser(raw)) {
            if (p.nextToken() == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    if (p.nextToken() == JsonToken.START_OBJECT && field.equals("signed")) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String inner = p.currentName();
                            if (p.nextToken() == JsonToken.VALUE_NUMBER_INT && inner.equals("version")) {
                                long v = p.getLongValue();
                                if (v >= 0 && v <= Integer.MAX_VALUE) {
                                    return (int) v;
                                }
                                break;
                            }
                            p.skipChildren();
                        }
                        break;
                    }
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new MalformedMetadataException(role, "not JSON: " + e.getMessage(), e);
        }
        throw new MalformedMetadataException(role, "missing field 'signed.version' (a non-negative integer)");
    }

    /** Parses with the type the role name implies. */
    @SuppressWarnings("unchecked")
    public static Signed<? extends Metadata> parse(byte[] raw, String role)
            throws MalformedMetadataException, WrongTypeException {
        return parse(raw, role, (MetaType<Metadata>) MetaType.forRole(role));
    }
}
