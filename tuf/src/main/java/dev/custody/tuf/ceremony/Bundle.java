package dev.custody.tuf.ceremony;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.tuf.MalformedMetadataException;
import dev.custody.tuf.TufException;
import dev.custody.tuf.canonical.CanonicalJson;
import dev.custody.tuf.model.Digests;
import dev.custody.tuf.model.GoTime;
import dev.custody.tuf.model.Metadata;
import dev.custody.tuf.model.Signature;
import dev.custody.tuf.model.Signed;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A signing-request bundle: one file carried between the online machine and the air-gapped signer. It
 * holds the metadata the ceremony builds on ({@link #base()}), the unsigned new metadata per role
 * ({@link #changes()}, whose canonical {@code signed} bytes are exactly what gets signed, with the
 * signatures collected so far), a summary in words, and, when the signer may trust an older root, the
 * roots in between ({@link #rootChain()}).
 *
 * <p>The file is canonical JSON (sorted keys, no whitespace), so the same bundle is always the same
 * bytes; the field-by-field format is in {@code tuf/README-ceremony.md}. A bundle is not trusted for
 * being well-formed: {@link Ceremony#verifyForSigning} and {@link Ceremony#verifyForPublish} check it.
 *
 * @param formatVersion {@link #FORMAT_VERSION}
 * @param gun the repository
 * @param operation what the ceremony changes
 * @param created when {@link Ceremony#prepare} made it (informational)
 * @param base role → the metadata file it builds on: {@code root} always, {@code targets} when it changes
 * @param rootChain root files after some older root up to (not including) the base root, oldest first
 * @param changes role → new metadata ({@code root}, and {@code targets} for {@link Operation#ROTATE_TARGETS}),
 *     with the signatures collected so far
 * @param summary what the ceremony does, one line each
 */
public record Bundle(
        int formatVersion,
        String gun,
        Operation operation,
        OffsetDateTime created,
        Map<String, BaseFile> base,
        List<byte[]> rootChain,
        Map<String, Signed<? extends Metadata>> changes,
        List<String> summary) {
    /** The {@code format} field: what kind of file this is. */
    public static final String FORMAT = "custody-ceremony-bundle";
    /** The only {@code format_version} this code reads and writes. */
    public static final int FORMAT_VERSION = 1;
    /** Bundles larger than this are not read (roots and targets of a few thousand entries fit easily). */
    public static final int MAX_BYTES = 64 << 20;

    public Bundle {
        Objects.requireNonNull(gun, "gun");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(created, "created");
        base = Collections.unmodifiableMap(new TreeMap<>(base));
        rootChain = rootChain.stream().map(byte[]::clone).toList();
        changes = Collections.unmodifiableMap(new TreeMap<>(changes));
        summary = List.copyOf(summary);
    }

    /**
     * One base file, kept byte for byte.
     *
     * @param version the metadata version inside {@code file}
     * @param file the metadata file as served
     */
    public record BaseFile(int version, byte[] file) {
        public BaseFile {
            file = file.clone();
        }

        @Override
        public byte[] file() {
            return file.clone();
        }

        public String sha256() {
            return Digests.sha256Hex(file);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof BaseFile b && version == b.version && java.util.Arrays.equals(file, b.file);
        }

        @Override
        public int hashCode() {
            return Objects.hash(version, java.util.Arrays.hashCode(file));
        }
    }

    @Override
    public List<byte[]> rootChain() {
        return rootChain.stream().map(byte[]::clone).toList();
    }

    /** The bundle with {@code role}'s new metadata replaced (e.g. with more signatures). */
    public Bundle withChange(String role, Signed<? extends Metadata> signed) {
        if (!changes.containsKey(role)) {
            throw new IllegalArgumentException("no change for " + role + " in this bundle");
        }
        Map<String, Signed<? extends Metadata>> c = new TreeMap<>(changes);
        c.put(role, signed);
        return new Bundle(formatVersion, gun, operation, created, base, rootChain, c, summary);
    }

    /** Key IDs that have signed {@code role}'s new metadata so far (validity is checked by the verify methods). */
    public List<String> signedBy(String role) {
        Signed<? extends Metadata> s = changes.get(role);
        return s == null
                ? List.of()
                : s.signatures().stream().map(Signature::keyId).toList();
    }

    /** The bundle file: canonical JSON (control characters, if any, escaped so that it can be read back). */
    public byte[] toBytes() {
        ObjectNode o = CanonicalJson.object();
        o.put("format", FORMAT);
        o.put("format_version", formatVersion);
        o.put("gun", gun);
        o.put("operation", operation.word());
        o.put("created", GoTime.format(created));
        ObjectNode b = o.putObject("base");
        base.forEach((role, f) -> {
            ObjectNode e = b.putObject(role);
            e.put("version", f.version());
            e.put("length", f.file().length);
            e.put("sha256", f.sha256());
            e.put("file", Base64.getEncoder().encodeToString(f.file()));
        });
        ArrayNode chain = o.putArray("root_chain");
        rootChain.forEach(r -> chain.add(Base64.getEncoder().encodeToString(r)));
        ObjectNode n = o.putObject("new");
        ObjectNode sigs = o.putObject("signatures");
        changes.forEach((role, s) -> {
            ObjectNode e = n.putObject(role);
            e.put("version", s.version());
            e.put("sha256", Digests.sha256Hex(s.canonical()));
            try {
                e.set("signed", CanonicalJson.parse(s.canonical()));
            } catch (JsonProcessingException ex) {
                throw new IllegalStateException("canonical bytes that do not parse", ex);
            }
            ArrayNode a = sigs.putArray(role);
            s.signatures().forEach(sig -> a.add(sig.toJson()));
        });
        ArrayNode sum = o.putArray("summary");
        summary.forEach(sum::add);
        return CanonicalJson.escapeControlCharacters(CanonicalJson.encode(o));
    }

    /**
     * Reads a bundle file. Checks its shape and that each recorded hash matches what it describes; the
     * meaning (plan, summary, signatures, base versus trusted state) is checked by {@link Ceremony}.
     *
     * @throws MalformedBundleException if it is not a bundle of {@link #FORMAT_VERSION}
     * @throws BundleTamperedException if a recorded hash, length or version does not match
     */
    public static Bundle parse(byte[] raw) throws TufException {
        if (raw.length > MAX_BYTES) {
            throw new MalformedBundleException("(file)", raw.length + " bytes, more than " + MAX_BYTES);
        }
        JsonNode root;
        try {
            root = CanonicalJson.parse(raw);
        } catch (JsonProcessingException e) {
            throw new MalformedBundleException("(file)", "not JSON: " + e.getOriginalMessage(), e);
        }
        ObjectNode o = object(root, "(file)");
        if (!FORMAT.equals(text(o, "format"))) {
            throw new MalformedBundleException("format", "not a " + FORMAT + ": " + text(o, "format"));
        }
        int version = integer(o, "format_version");
        if (version != FORMAT_VERSION) {
            throw new MalformedBundleException(
                    "format_version", "version " + version + " is not supported (only " + FORMAT_VERSION + ")");
        }
        String gun = text(o, "gun");
        String opWord = text(o, "operation");
        Operation op = Operation.ofWord(opWord)
                .orElseThrow(() -> new MalformedBundleException("operation", "unknown operation " + opWord));
        OffsetDateTime created;
        try {
            created = GoTime.parse(text(o, "created"));
        } catch (DateTimeParseException | IllegalArgumentException e) {
            throw new MalformedBundleException("created", "not a time: " + e.getMessage(), e);
        }

        Map<String, BaseFile> base = parseBase(o);
        List<byte[]> chain = parseChain(o);
        Map<String, Signed<? extends Metadata>> changes = parseNew(o);
        List<String> summary = parseSummary(o);
        return new Bundle(version, gun, op, created, base, chain, changes, summary);
    }

    /** {@code base}: each role's file as the bundle was prepared on, checked against its recorded hash and version. */
    private static Map<String, BaseFile> parseBase(ObjectNode o) throws TufException {
        Map<String, BaseFile> base = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : object(required(o, "base"), "base").properties()) {
            String role = e.getKey();
            String f = "base." + role;
            ObjectNode b = object(e.getValue(), f);
            byte[] file = base64(text(b, "file"), f + ".file");
            if (file.length != integer(b, "length") || !Digests.sha256Hex(file).equals(text(b, "sha256"))) {
                throw new BundleTamperedException(
                        BundleTamperedException.Kind.BASE_HASH,
                        role,
                        "length or sha256 of the base file does not match the file in the bundle");
            }
            int v = parseFile(file, role, f).version();
            if (v != integer(b, "version")) {
                throw new BundleTamperedException(
                        BundleTamperedException.Kind.BASE_HASH,
                        role,
                        "base version field says " + integer(b, "version") + ", the file is version " + v);
            }
            base.put(role, new BaseFile(v, file));
        }
        return base;
    }

    /** {@code root_chain}: the roots between the trusted one and the base, oldest first (may be absent). */
    private static List<byte[]> parseChain(ObjectNode o) throws TufException {
        List<byte[]> chain = new ArrayList<>();
        JsonNode c = o.get("root_chain");
        if (c != null) {
            if (!c.isArray()) {
                throw new MalformedBundleException("root_chain", "not an array");
            }
            for (JsonNode r : c) {
                if (!r.isTextual()) {
                    throw new MalformedBundleException("root_chain", "not a base64 string");
                }
                chain.add(base64(r.textValue(), "root_chain"));
            }
        }
        return chain;
    }

    /** {@code new} with {@code signatures}: each changed role, checked against its recorded hash and version. */
    private static Map<String, Signed<? extends Metadata>> parseNew(ObjectNode o) throws TufException {
        ObjectNode sigs = object(required(o, "signatures"), "signatures");
        Map<String, Signed<? extends Metadata>> changes = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : object(required(o, "new"), "new").properties()) {
            String role = e.getKey();
            String f = "new." + role;
            ObjectNode n = object(e.getValue(), f);
            JsonNode signedNode = object(required(n, "signed"), f + ".signed");
            byte[] canonical;
            try {
                canonical = CanonicalJson.encode(signedNode);
            } catch (IllegalArgumentException ex) {
                throw new MalformedBundleException(f + ".signed", ex.getMessage(), ex);
            }
            if (!Digests.sha256Hex(canonical).equals(text(n, "sha256"))) {
                throw new BundleTamperedException(
                        BundleTamperedException.Kind.NEW_HASH,
                        role,
                        "sha256 of the new metadata does not match its canonical bytes");
            }
            ObjectNode file = CanonicalJson.object();
            file.set("signed", signedNode);
            JsonNode roleSigs = sigs.get(role);
            file.set("signatures", roleSigs == null ? CanonicalJson.nodes().arrayNode() : roleSigs);
            Signed<? extends Metadata> s =
                    parseFile(CanonicalJson.escapeControlCharacters(CanonicalJson.encode(file)), role, f);
            if (s.version() != integer(n, "version")) {
                throw new BundleTamperedException(
                        BundleTamperedException.Kind.NEW_HASH,
                        role,
                        "new version field says " + integer(n, "version") + ", the metadata is version " + s.version());
            }
            changes.put(role, s);
        }
        for (Map.Entry<String, JsonNode> e : sigs.properties()) {
            if (!changes.containsKey(e.getKey())) {
                throw new MalformedBundleException(
                        "signatures." + e.getKey(), "signatures for a role with no new metadata");
            }
        }
        return changes;
    }

    /** {@code summary}: the lines a person reads before signing. */
    private static List<String> parseSummary(ObjectNode o) throws TufException {
        List<String> summary = new ArrayList<>();
        JsonNode s = required(o, "summary");
        if (!s.isArray()) {
            throw new MalformedBundleException("summary", "not an array of lines");
        }
        for (JsonNode line : s) {
            if (!line.isTextual()) {
                throw new MalformedBundleException("summary", "not an array of lines");
            }
            summary.add(line.textValue());
        }
        return summary;
    }

    private static Signed<? extends Metadata> parseFile(byte[] file, String role, String field)
            throws MalformedBundleException {
        try {
            return Signed.parse(file, role);
        } catch (MalformedMetadataException e) {
            throw new MalformedBundleException(field, e.getMessage(), e);
        } catch (TufException | IllegalArgumentException e) {
            throw new MalformedBundleException(field, e.getMessage(), e);
        }
    }

    private static ObjectNode object(JsonNode n, String field) throws MalformedBundleException {
        if (n == null || !n.isObject()) {
            throw new MalformedBundleException(field, "not an object");
        }
        return (ObjectNode) n;
    }

    private static JsonNode required(ObjectNode o, String field) throws MalformedBundleException {
        JsonNode n = o.get(field);
        if (n == null) {
            throw new MalformedBundleException(field, "missing");
        }
        return n;
    }

    private static String text(ObjectNode o, String field) throws MalformedBundleException {
        JsonNode n = required(o, field);
        if (!n.isTextual()) {
            throw new MalformedBundleException(field, "not a string");
        }
        return n.textValue();
    }

    private static int integer(ObjectNode o, String field) throws MalformedBundleException {
        JsonNode n = required(o, field);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new MalformedBundleException(field, "not an integer");
        }
        return n.intValue();
    }

    private static byte[] base64(String text, String field) throws MalformedBundleException {
        try {
            return Base64.getDecoder().decode(text.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException e) {
            throw new MalformedBundleException(field, "not base64", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bundle b && java.util.Arrays.equals(toBytes(), b.toBytes());
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(toBytes());
    }

    @Override
    public String toString() {
        return "Bundle[" + gun + " " + operation.word() + " " + changes.keySet() + "]";
    }
}
