package dev.custody.daemon.repo;

import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.Metadata;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.repo.RepoEditor;
import dev.custody.tuf.server.NotaryClient;
import dev.custody.tuf.update.Updater;
import java.util.Locale;
import java.util.Map;

/**
 * Never publish what cannot be read back: a role is only signed and sent when every reader can still
 * fetch it afterwards. The limit of a role is the smallest of
 *
 * <ul>
 *   <li>custodyd's own read limit: {@link NotaryClient#DEFAULT_MAX_RESPONSE_BYTES} (10 MiB) for any
 *       response, {@link Updater#DEFAULT_MAX_TIMESTAMP_BYTES} (1 MiB) for the timestamp;</li>
 *   <li>notary's client (0.7): {@code MaxTimestampSize} 1 MiB for the timestamp, {@code MaxDownloadSize}
 *       100 MiB for root and for any role the snapshot gives no length for.</li>
 * </ul>
 *
 * A role past it, once published, would wedge the repository: every later list, add or publish fails
 * reading it back. Two checks, both before anything is written to the journal or sent:
 * {@link #checkUnsigned} before signing (each changed root and targets role, with room for the
 * signatures its keys can add: no token is touched and no holder asked for a role that would be
 * refused) and {@link #checkSigned} on the exact signed bytes (the snapshot included).
 */
final class RoleSizes {
    /** notary's {@code MaxDownloadSize}. */
    static final long NOTARY_MAX_DOWNLOAD_BYTES = 100L << 20;
    /** notary's {@code MaxTimestampSize}. */
    static final long NOTARY_MAX_TIMESTAMP_BYTES = 1L << 20;
    /** Room for one signature entry ({@code keyid}, {@code method}, {@code sig}); RSA 4096 needs about 760. */
    static final int SIGNATURE_ENTRY_BYTES = 1024;

    private RoleSizes() {}

    /** The largest a role may be, signed. */
    static long limit(String role) {
        if (role.equals("timestamp")) {
            return Math.min(Updater.DEFAULT_MAX_TIMESTAMP_BYTES, NOTARY_MAX_TIMESTAMP_BYTES);
        }
        return Math.min(
                Math.min(NotaryClient.DEFAULT_MAX_RESPONSE_BYTES, Updater.DEFAULT_MAX_METADATA_BYTES),
                NOTARY_MAX_DOWNLOAD_BYTES);
    }

    /**
     * Before signing: every role {@code ed} would sign, unsigned, plus {@link #SIGNATURE_ENTRY_BYTES} for
     * each key that may sign it.
     */
    static void checkUnsigned(String gun, RepoEditor ed) throws RoleTooLargeException {
        for (Map.Entry<String, Signed<? extends Metadata>> e :
                ed.buildUnsigned().entrySet()) {
            String role = e.getKey();
            long size = e.getValue().toBytes().length + (long) SIGNATURE_ENTRY_BYTES * signers(ed, role);
            check(gun, role, size, false);
        }
    }

    /** The exact signed files of a publish, snapshot included. */
    static void checkSigned(String gun, Map<String, byte[]> files) throws RoleTooLargeException {
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            check(gun, e.getKey(), e.getValue().length, true);
        }
    }

    static void check(String gun, String role, long size, boolean exact) throws RoleTooLargeException {
        long limit = limit(role);
        if (size <= limit) {
            return;
        }
        String how = exact
                ? "would be " + human(size) + " (" + size + " bytes) signed"
                : "would be at least " + human(size) + " (" + size + " bytes) once signed";
        String split = role.equals("snapshot") || role.equals("timestamp") || role.equals("root")
                ? " Use fewer delegated roles, or split the repository into several GUNs."
                : " Split it: move targets into delegated roles (custody delegation add " + gun + " targets/<name> …;"
                        + " each delegated role is a file of its own with its own limit), or remove some.";
        throw new RoleTooLargeException(
                role,
                size,
                limit,
                gun + ": refusing to publish: role " + role + " " + how
                        + ", over the limit of " + human(limit) + " (" + limit
                        + " bytes) that custodyd and notary clients read"
                        + " back; published, it would make the repository unreadable." + split
                        + " Nothing was signed or sent; the staged changes stay staged (custody status " + gun
                        + "; custody reset "
                        + gun + " drops them).");
    }

    private static int signers(RepoEditor ed, String role) {
        if (role.equals("root") || role.equals("targets")) {
            // root may also be cross-signed by the keys it replaces
            return ed.root().keysOf(role).size()
                    + (role.equals("root") ? ed.root().keysOf("root").size() : 0);
        }
        return ed.targets(DelegatedRole.parentOf(role))
                .flatMap(p -> p.delegationsOrEmpty().role(role))
                .map(d -> d.keyIds().size())
                .orElse(1);
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1L << 20) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
    }
}
