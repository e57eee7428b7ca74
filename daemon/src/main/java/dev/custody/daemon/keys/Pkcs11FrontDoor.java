package dev.custody.daemon.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.DaemonContext;
import dev.custody.daemon.DaemonExtension;
import dev.custody.daemon.audit.AuditDetails;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.ActionResolver;
import dev.custody.daemon.policy.Decision;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.repo.RepoShared;
import dev.custody.daemon.rpc.Call;
import dev.custody.daemon.rpc.CallerIdentity;
import dev.custody.daemon.rpc.Params;
import dev.custody.protocol.ApprovalRequiredException;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.Methods;
import dev.custody.protocol.Protocol;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The socket methods behind {@code libcustody-pkcs11.so} (the PKCS#11 front door, {@code pkcs11-module/}):
 * {@code pkcs11.keys} lists the keys policy lets the caller sign with, with their public keys;
 * {@code pkcs11.sign} signs with one of them. Signing is policy operation {@code sign.raw} on the key's GUN
 * and role, waits for a custodian when the rule requires an approval, and its audit line says
 * {@code via: pkcs11}, the PKCS#11 mechanism, the caller's executable and what was signed (the digest for
 * {@code CKM_ECDSA}, the SHA-256 of the data otherwise).
 */
public final class Pkcs11FrontDoor implements DaemonExtension {
    /** The shortest and longest digest {@code CKM_ECDSA} accepts (SHA-1 … SHA-512). */
    static final int MIN_DIGEST = 20;

    static final int MAX_DIGEST = 64;

    private final ObjectMapper mapper = Protocol.newMapper();
    private final KeysExtension keysExtension;
    private final Supplier<Optional<RepoShared>> repoShared;
    private volatile DaemonContext ctx;

    /**
     * @param keys the keys extension whose keys it signs with
     * @param repo the repository extension's shared part (for approvals), empty when it is not installed
     */
    public Pkcs11FrontDoor(KeysExtension keys, Supplier<Optional<RepoShared>> repo) {
        this.keysExtension = keys;
        this.repoShared = repo;
    }

    record NoParams() {}

    record SignParams(String keyId, String mechanism, String data) {}

    @Override
    public String name() {
        return "pkcs11-front-door";
    }

    @Override
    public void install(DaemonContext context) {
        this.ctx = context;
        var m = context.methods();
        m.registerOpen(Methods.PKCS11_KEYS, this::keys);
        m.registerCall(Methods.PKCS11_SIGN, this::signAction, this::sign);
    }

    private TokenKeyService service() throws CustodyException {
        return keysExtension
                .findTokenKeyService()
                .orElseThrow(() -> dev.custody.daemon.rpc.Incidents.internal(
                        "the PKCS#11 front door needs the keys extension installed", null));
    }

    private Action signAction(JsonNode params) throws BadRequestException {
        String keyId = ActionResolver.optionalText(params, "keyId");
        if (keyId == null || keyId.isEmpty()) {
            throw new BadRequestException("params.keyId is required (a non-empty string)", "params.keyId");
        }
        Optional<KeyInventory.Entry> e =
                keysExtension.findTokenKeyService().flatMap(s -> s.inventory().find(keyId));
        return new Action(
                Operation.SIGN_RAW,
                e.map(KeyInventory.Entry::gun).orElse(null),
                e.map(KeyInventory.Entry::role).orElse(null));
    }

    /** pkcs11.keys: every inventory key policy lets the caller sign with ({@code sign.raw} on its GUN and role). */
    private JsonNode keys(CallerIdentity caller, JsonNode params) throws CustodyException {
        Params.bind(params, NoParams.class);
        TokenKeyService keys = service();
        ObjectNode r = mapper.createObjectNode();
        ArrayNode out = r.putArray("keys");
        for (KeyInventory.Entry e : keys.inventory().all()) {
            Decision d = ctx.policy().decide(caller.subject(), new Action(Operation.SIGN_RAW, e.gun(), e.role()));
            if (!d.allowed()) {
                continue;
            }
            ObjectNode n = out.addObject();
            n.put("keyId", e.keyId());
            n.put("label", label(e));
            n.put("role", e.role());
            if (e.gun() != null) {
                n.put("gun", e.gun());
            }
            n.put("algorithm", e.algorithm());
            n.put("ckaId", e.ckaId());
            keys.slotOf(e).ifPresent(s -> n.put("slot", s.hex()));
            n.put("publicKey", e.publicKey());
            n.put("approval", d.approvalRequired());
        }
        return r;
    }

    /** The CKA_LABEL the module shows: {@code <gun>/<role>}, or the role for a key not tied to a repository. */
    static String label(KeyInventory.Entry e) {
        String role = e.role() == null ? e.keyId() : e.role();
        return e.gun() == null ? role : e.gun() + "/" + role;
    }

    /** pkcs11.sign: {@code {keyId, mechanism: ecdsa|ecdsa-sha256|eddsa, data}}. */
    private JsonNode sign(Call call) throws CustodyException {
        SignParams p = Params.bind(call.params(), SignParams.class);
        TokenKeyService keys = service();
        KeyInventory.Entry e = keys.entry(p.keyId());
        String mech = p.mechanism() == null ? "" : p.mechanism();
        byte[] data;
        try {
            data = Base64.getDecoder().decode(p.data() == null ? "" : p.data());
        } catch (IllegalArgumentException ex) {
            throw new BadRequestException("params.data must be base64", "params.data");
        }
        boolean ed = e.algorithm().equals("ed25519");
        ObjectNode details = AuditDetails.current()
                .put("keyId", e.keyId())
                .put("via", "pkcs11")
                .put("mechanism", mech);
        callerExecutable(call.caller().pid()).ifPresent(x -> details.put("exe", x));
        switch (mech) {
            case "ecdsa" -> {
                if (data.length < MIN_DIGEST || data.length > MAX_DIGEST) {
                    throw new BadRequestException(
                            "params.data: CKM_ECDSA signs a digest of " + MIN_DIGEST + ".." + MAX_DIGEST
                                    + " bytes, got " + data.length,
                            "params.data");
                }
                details.put("digest", HexFormat.of().formatHex(data));
            }
            case "ecdsa-sha256", "eddsa" ->
                details.put("dataSha256", HexFormat.of().formatHex(sha256(data)));
            default ->
                throw new BadRequestException(
                        "params.mechanism must be ecdsa, ecdsa-sha256 or eddsa", "params.mechanism");
        }
        if (ed != mech.equals("eddsa")) {
            throw new BadRequestException(
                    "key " + e.keyId() + " is " + e.algorithm() + ": mechanism " + mech + " does not apply",
                    "params.mechanism");
        }
        if (call.decision() != null && call.decision().approvalRequired()) {
            awaitApproval(call, e, mech);
        }
        byte[] sig = mech.equals("ecdsa") ? keys.signDigest(e, p256Digest(data)) : keys.sign(e, data);
        ObjectNode r = mapper.createObjectNode()
                .put("keyId", e.keyId())
                .put("signature", Base64.getEncoder().encodeToString(sig));
        if (e.tokenSerial() != null) {
            r.put("tokenSerial", e.tokenSerial());
        }
        return r;
    }

    private void awaitApproval(Call call, KeyInventory.Entry e, String mech) throws CustodyException {
        Optional<RepoShared> repo = repoShared.get();
        if (repo.isEmpty()) {
            throw new ApprovalRequiredException(
                    null,
                    "rule '" + call.decision().ruleOrNone() + "' requires an approval,"
                            + " and this daemon serves no approvals (the repository extension is not installed)");
        }
        String exe = callerExecutable(call.caller().pid()).orElse("?");
        String summary = "PKCS#11 signature (" + mech + ") with key "
                + e.keyId().substring(0, Math.min(12, e.keyId().length())) + "… (" + label(e) + ") for " + exe
                + " (pid " + call.caller().pid() + ", uid "
                + call.caller().uid() + ")";
        repo.get().awaitApproval(call.caller(), call.method(), e.gun(), e.role(), summary);
    }

    /**
     * A caller's digest as P-256 ECDSA uses it: the leftmost 256 bits of a longer digest, a shorter one
     * zero-extended on the left (the same integer), as FIPS 186-4 defines e for n of 256 bits.
     */
    static byte[] p256Digest(byte[] digest) {
        byte[] out = new byte[32];
        if (digest.length >= 32) {
            System.arraycopy(digest, 0, out, 0, 32);
        } else {
            System.arraycopy(digest, 0, out, 32 - digest.length, digest.length);
        }
        return out;
    }

    /** The caller's executable (/proc/PID/exe), else its argv[0] (/proc/PID/cmdline, readable by all). */
    static Optional<String> callerExecutable(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            return Optional.of(Files.readSymbolicLink(proc.resolve("exe")).toString());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            // another uid's process: fall back to argv[0]
        }
        try {
            byte[] cmd = Files.readAllBytes(proc.resolve("cmdline"));
            int end = 0;
            while (end < cmd.length && cmd[end] != 0) {
                end++;
            }
            return end == 0 ? Optional.empty() : Optional.of(new String(cmd, 0, end, StandardCharsets.UTF_8));
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }
}
