package dev.custody.daemon.repo;

import dev.custody.tuf.TufException;
import dev.custody.tuf.model.FileMeta;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Snapshot;
import dev.custody.tuf.model.Timestamp;
import dev.custody.tuf.server.NotaryClient;
import dev.custody.tuf.server.NotaryServerException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a Notary server serves after a publish, compared with what the publish sent: the server's
 * timestamp names a snapshot (fetched by its hash), the snapshot names each role we sent by hash. A
 * role whose hash is ours is stored; one the snapshot names with another hash is looked up by our
 * hash (the server keeps every version it stored) before it counts as missing. Signatures are
 * checked afterwards by the update that refreshes the trusted copy; here only "is it ours".
 *
 * <p>The three answers: {@link Verdict#STORED} (every role we sent is, or was, on the server);
 * {@link Verdict#SUPERSEDED} (another writer got there: the server holds a version at or above ours
 * of a role we sent, or the repository moved past the timestamp we built on while ours is missing —
 * safe to build again on the new state); {@link Verdict#NOT_STORED} (the server serves what it served
 * before, as if the publish never arrived).
 */
final class ReadBack {
    enum Verdict {
        STORED,
        SUPERSEDED,
        NOT_STORED
    }

    /** The verdict and, for anything but STORED, what the server serves instead, in words. */
    record Result(Verdict verdict, String detail) {}

    private final NotaryClient client;
    private final String gun;

    ReadBack(NotaryClient client, String gun) {
        this.client = client;
        this.gun = gun;
    }

    /**
     * @param sent role → the exact bytes POSTed
     * @param baseTimestamp the version of the timestamp the publish was built on (0 for a new repository)
     * @throws IOException the server could not be read (nothing can be said)
     */
    Result check(Map<String, byte[]> sent, int baseTimestamp) throws IOException {
        byte[] tsRaw;
        try {
            tsRaw = client.getRole(gun, "timestamp");
        } catch (NotaryServerException e) {
            if (e.code() == NotaryServerException.Code.NOT_FOUND) {
                return new Result(Verdict.NOT_STORED, "the server has no timestamp for " + gun + " at all");
            }
            throw e;
        }
        Timestamp ts;
        Snapshot snap;
        try {
            ts = (Timestamp) Signed.parse(tsRaw, "timestamp").signed();
            FileMeta sm = ts.metaFor("snapshot")
                    .orElseThrow(() -> new IOException("the server's timestamp names no" + " snapshot"));
            byte[] want = sm.hash("sha256")
                    .orElseThrow(() -> new IOException("the server's timestamp has no sha256 of" + " the snapshot"));
            byte[] ours = sent.get("snapshot");
            byte[] snapRaw = ours != null && Arrays.equals(Repos.sha256(ours), want)
                    ? ours
                    : client.getRoleByChecksum(gun, "snapshot", HexFormat.of().formatHex(want));
            if (!Arrays.equals(Repos.sha256(snapRaw), want)) {
                throw new IOException("the server's snapshot does not have the hash its timestamp names");
            }
            snap = (Snapshot) Signed.parse(snapRaw, "snapshot").signed();
        } catch (TufException | ClassCastException e) {
            throw new IOException("the server's timestamp or snapshot does not parse: " + e.getMessage(), e);
        }
        boolean moved = ts.version() > baseTimestamp;
        List<String> missing = new ArrayList<>();
        boolean overtaken = false;
        for (Map.Entry<String, byte[]> e : sent.entrySet()) {
            String role = e.getKey();
            byte[] ours = e.getValue();
            byte[] hash = Repos.sha256(ours);
            Optional<FileMeta> listed = role.equals("snapshot") ? ts.metaFor("snapshot") : snap.metaFor(role);
            if (listed.flatMap(m -> m.hash("sha256"))
                            .map(h -> Arrays.equals(h, hash))
                            .orElse(false)
                    || storedEarlier(role, hash)) {
                continue;
            }
            int oursV = version(ours, role);
            int theirsV = role.equals("snapshot") ? snap.version() : serverVersion(role, listed);
            missing.add(role + " v" + oursV + " (the server serves " + (theirsV == 0 ? "none" : "v" + theirsV) + ")");
            overtaken |= theirsV >= oursV;
        }
        if (missing.isEmpty()) {
            return new Result(Verdict.STORED, "");
        }
        String what = String.join(", ", missing) + "; its timestamp is v" + ts.version()
                + (moved ? " (was v" + baseTimestamp + " when this publish was built)" : "");
        return new Result(overtaken || moved ? Verdict.SUPERSEDED : Verdict.NOT_STORED, what);
    }

    /** Whether the server holds exactly these bytes of {@code role} (served by checksum: it stored them once). */
    private boolean storedEarlier(String role, byte[] hash) throws IOException {
        try {
            byte[] b = client.getRoleByChecksum(gun, role, HexFormat.of().formatHex(hash));
            return Arrays.equals(Repos.sha256(b), hash);
        } catch (NotaryServerException e) {
            if (e.code() == NotaryServerException.Code.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    /**
     * The version of {@code role} the server's snapshot names (fetched by the hash the snapshot gives); 0
     * when the snapshot does not list it (notary-server on SQL answers a plain GET of such a role with 500).
     */
    private int serverVersion(String role, Optional<FileMeta> listed) throws IOException {
        Optional<byte[]> hash = listed.flatMap(m -> m.hash("sha256"));
        if (hash.isEmpty()) {
            return 0;
        }
        try {
            return version(client.getRoleByChecksum(gun, role, HexFormat.of().formatHex(hash.get())), role);
        } catch (NotaryServerException e) {
            if (e.code() == NotaryServerException.Code.NOT_FOUND) {
                return 0;
            }
            throw e;
        }
    }

    private static int version(byte[] raw, String role) throws IOException {
        try {
            return Signed.parse(raw, role).version();
        } catch (TufException e) {
            throw new IOException(role + " does not parse: " + e.getMessage(), e);
        }
    }
}
