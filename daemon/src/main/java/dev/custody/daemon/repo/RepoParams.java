package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.CustodyException;
import dev.custody.tuf.keys.PublicKeys;
import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.TufKey;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The params of the repository methods, as {@code docs/protocol-methods.md} lists them, plus the
 * optional {@code server} (a configured server's name or URL; the first configured server by default)
 * with {@code serverCaSha256} (the fingerprints of the CA certificates the caller expects for it) and,
 * where new keys are made, {@code token}. Absent optional members are null. Each record checks
 * its own members and makes the staged changes it asks for (BAD_REQUEST naming the member).
 */
final class RepoParams {
    private RepoParams() {}

    /** The params that name a GUN and a server: by name or URL, with the CA fingerprints the caller expects. */
    interface OnServer {
        String gun();

        String server();

        List<String> serverCaSha256();

        /** {@code params.gun}, required. */
        default String requiredGun() throws BadRequestException {
            return required(gun(), "gun");
        }
    }

    /** The params of a method that stages changes (and publishes them at once with {@code publish: true}). */
    interface Staged extends OnServer {
        Boolean publish();

        /** The changes asked for, checked. */
        List<Change> changes() throws CustodyException;
    }

    /** The public key of a key in the inventory, by its ID. */
    @FunctionalInterface
    interface KeyLookup {
        TufKey find(String keyId) throws CustodyException;
    }

    record Init(
            String gun,
            String rootKeyId,
            List<String> rootKeyIds,
            Integer rootThreshold,
            Boolean serverManagedSnapshot,
            Boolean publish,
            String token,
            String server,
            List<String> serverCaSha256)
            implements OnServer {
        /** {@code rootKeyId} then {@code rootKeyIds}, without repeats. */
        List<String> rootKeyIdList() {
            List<String> ids = new ArrayList<>();
            if (rootKeyId != null) {
                ids.add(rootKeyId);
            }
            if (rootKeyIds != null) {
                rootKeyIds.stream().filter(id -> !ids.contains(id)).forEach(ids::add);
            }
            return ids;
        }

        /** {@code rootThreshold} (default 1), between 1 and the number of root keys. */
        int checkedThreshold() throws BadRequestException {
            int t = rootThreshold == null ? 1 : rootThreshold;
            if (t < 1 || t > Math.max(1, rootKeyIdList().size())) {
                throw new BadRequestException(
                        "params.rootThreshold must be between 1 and the number of root keys", "params.rootThreshold");
            }
            return t;
        }
    }

    record Add(
            String gun,
            String target,
            Long length,
            String sha256,
            String sha512,
            String role,
            JsonNode custom,
            Boolean publish,
            String server,
            List<String> serverCaSha256)
            implements Staged {
        @Override
        public List<Change> changes() throws BadRequestException {
            return List.of(Change.target(role, required(target, "target"), length, sha256, sha512, custom));
        }
    }

    record BatchTarget(String name, Long length, String sha256, String sha512, JsonNode custom) {}

    /** @param more more parts of this batch follow (kept aside, nothing staged); @param batchId from the first part */
    record AddBatch(
            String gun,
            String role,
            List<BatchTarget> targets,
            Boolean publish,
            String server,
            List<String> serverCaSha256,
            String batchId,
            Boolean more)
            implements Staged {
        @Override
        public List<Change> changes() throws BadRequestException {
            if (targets == null || targets.isEmpty()) {
                throw new BadRequestException("params.targets must be a non-empty array", "params.targets");
            }
            List<Change> changes = new ArrayList<>(targets.size());
            for (BatchTarget t : targets) {
                changes.add(Change.target(role, t.name(), t.length(), t.sha256(), t.sha512(), t.custom()));
            }
            return changes;
        }
    }

    record Remove(String gun, String target, String role, Boolean publish, String server, List<String> serverCaSha256)
            implements Staged {
        @Override
        public List<Change> changes() throws BadRequestException {
            return List.of(Change.removeTarget(role, required(target, "target")));
        }
    }

    record Gun(String gun, String server, List<String> serverCaSha256) implements OnServer {}

    record ListTargets(String gun, String role, String server, List<String> serverCaSha256) implements OnServer {}

    record Lookup(String gun, String target, String server, List<String> serverCaSha256) implements OnServer {}

    record Witness(String gun, List<String> roles, Boolean publish, String server, List<String> serverCaSha256)
            implements Staged {
        @Override
        public List<Change> changes() throws BadRequestException {
            if (roles == null || roles.isEmpty()) {
                throw new BadRequestException("params.roles must name at least one role", "params.roles");
            }
            List<Change> changes = new ArrayList<>();
            for (String r : roles) {
                if ("timestamp".equals(r)) {
                    throw new BadRequestException("the timestamp is the server's to sign", "params.roles");
                }
                changes.add(Change.witness(r));
            }
            return changes;
        }
    }

    record Delete(String gun, Boolean remote, String server, List<String> serverCaSha256) implements OnServer {}

    record DelegationAdd(
            String gun,
            String role,
            List<String> keys,
            List<String> keyIds,
            List<String> paths,
            Boolean allPaths,
            Integer threshold,
            Boolean publish,
            String server,
            List<String> serverCaSha256)
            implements OnServer {
        /** The keys: those given as PEM ({@code keys}), then those of {@code keyIds} found by {@code lookup}. */
        List<TufKey> delegationKeys(KeyLookup lookup) throws CustodyException {
            delegationRole(role);
            List<TufKey> ks = new ArrayList<>();
            for (String pem : keys == null ? List.<String>of() : keys) {
                ks.add(parseKey(pem));
            }
            for (String id : keyIds == null ? List.<String>of() : keyIds) {
                ks.add(lookup.find(id));
            }
            return ks;
        }

        /** The change that delegates to the keys {@link #delegationKeys} found. */
        Change change(List<TufKey> ks) throws BadRequestException {
            String r = delegationRole(role);
            List<String> ps = flag(allPaths) ? List.of("") : paths == null ? List.of() : paths;
            if (ks.isEmpty() && ps.isEmpty()) {
                throw new BadRequestException("give keys and/or paths (or allPaths: true) to delegate", "params.keys");
            }
            int t = threshold == null ? 1 : threshold;
            if (t < 1) {
                throw new BadRequestException("params.threshold must be at least 1", "params.threshold");
            }
            return Change.delegationAdd(r, ks, ps, t);
        }

        /** A delegation key from PEM: a certificate ({@code ecdsa-x509}) or a public key ({@code ecdsa}/{@code ed25519}). */
        private static TufKey parseKey(String pem) throws BadRequestException {
            try {
                if (pem.contains("CERTIFICATE")) {
                    List<X509Certificate> certs = PublicKeys.certificates(pem.getBytes(StandardCharsets.US_ASCII));
                    if (certs.isEmpty()) {
                        throw new IllegalArgumentException("no certificate");
                    }
                    return PublicKeys.toTufKey(certs.get(0));
                }
                // docker's NAME.pub carries PEM headers ("role: jeff", then a blank line): not base64, dropped
                String b64 = pem.replaceAll("-----[A-Z ]+-----", "")
                        .replaceAll("(?m)^[A-Za-z0-9-]+:.*$", "")
                        .replaceAll("\\s", "");
                byte[] der = Base64.getDecoder().decode(b64);
                for (String alg : List.of("EC", "Ed25519")) {
                    try {
                        PublicKey k = KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
                        return PublicKeys.toTufKey(k);
                    } catch (java.security.spec.InvalidKeySpecException e) {
                        // try the next algorithm
                    }
                }
                throw new IllegalArgumentException("not an EC or Ed25519 public key");
            } catch (Exception e) {
                throw new BadRequestException(
                        "params.keys: not a PEM public key or certificate (" + e.getMessage() + ")", "params.keys");
            }
        }
    }

    record DelegationRemove(
            String gun,
            String role,
            List<String> keyIds,
            List<String> paths,
            Boolean publish,
            String server,
            List<String> serverCaSha256)
            implements Staged {
        @Override
        public List<Change> changes() throws BadRequestException {
            String r = delegationRole(role);
            if (paths != null && !paths.isEmpty()) {
                throw new BadRequestException(
                        "removing single paths is not supported yet: remove keys, or the whole role", "params.paths");
            }
            return List.of(Change.delegationRemove(r, keyIds == null ? List.of() : keyIds));
        }
    }

    record Rotate(
            String gun,
            String role,
            Boolean serverManaged,
            Boolean publish,
            String token,
            String server,
            List<String> serverCaSha256)
            implements OnServer {
        /** {@code role}: a base role; the timestamp only and the snapshot optionally server-managed. */
        String checkedRole() throws BadRequestException {
            String r = required(role, "role");
            boolean server = flag(serverManaged);
            if (!List.of("root", "targets", "snapshot", "timestamp").contains(r)) {
                throw new BadRequestException(
                        "params.role: rotate root, targets, snapshot or timestamp (delegation keys"
                                + " change with delegation.add/remove)",
                        "params.role");
            }
            if (r.equals("timestamp") && !server) {
                throw new BadRequestException(
                        "the timestamp key is the server's: rotate it with serverManaged: true",
                        "params.serverManaged");
            }
            if (server && !List.of("snapshot", "timestamp").contains(r)) {
                throw new BadRequestException(
                        "only snapshot and timestamp keys can be server-managed", "params.serverManaged");
            }
            return r;
        }
    }

    record Adopt(String gun, List<String> rootKeyIds, String server) {}

    record Id(String id) {}

    record Deny(String id, String reason) {}

    static String required(String value, String field) throws BadRequestException {
        if (value == null || value.isBlank()) {
            throw new BadRequestException("params." + field + " is required (a non-empty string)", "params." + field);
        }
        return value;
    }

    static boolean flag(Boolean b) {
        return b != null && b;
    }

    /** A delegation's name: {@code targets/<name>}. */
    static String delegationRole(String role) throws BadRequestException {
        String r = required(role, "role");
        if (!DelegatedRole.isDelegationName(r)) {
            throw new BadRequestException("params.role: a delegation is named targets/<name>", "params.role");
        }
        return r;
    }
}
