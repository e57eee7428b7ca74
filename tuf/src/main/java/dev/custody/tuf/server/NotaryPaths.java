package dev.custody.tuf.server;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * Names that go into a Notary server URL, checked so that no GUN or role can add, remove or
 * escape a path segment. Everything accepted here is URL-safe as is, so nothing is encoded.
 */
final class NotaryPaths {
    /** Docker's limit on a repository name; notary-server keeps GUNs in a 255-character column too. */
    static final int MAX_GUN_LENGTH = 255;

    private static final Pattern GUN_SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._:-]*");
    /** notary 0.7 {@code data.IsDelegation}: {@code ^[-a-z0-9_/]+$}, "targets/" prefix, clean, < 256 chars. */
    private static final Pattern ROLE = Pattern.compile("root|snapshot|timestamp|targets(/[-a-z0-9_]+)*");

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    private NotaryPaths() {}

    /**
     * A GUN such as {@code docker.io/library/alpine} or {@code localhost:5000/team/app}: segments
     * of letters, digits, {@code . _ : -}, not starting with {@code .} or {@code -} (so never
     * {@code .} or {@code ..}), no empty segment, no {@code _trust} segment.
     */
    static String checkGun(String gun) {
        if (gun == null || gun.isEmpty()) {
            throw new IllegalArgumentException("GUN is empty");
        }
        if (gun.length() > MAX_GUN_LENGTH) {
            throw new IllegalArgumentException("GUN longer than " + MAX_GUN_LENGTH + " characters");
        }
        for (String segment : gun.split("/", -1)) {
            if (!GUN_SEGMENT.matcher(segment).matches()) {
                throw new IllegalArgumentException("invalid GUN " + quote(gun) + ": segment " + quote(segment)
                        + " (allowed: letters, digits and . _ : - , not starting with . or -)");
            }
            if (segment.equals("_trust")) {
                throw new IllegalArgumentException("invalid GUN " + quote(gun) + ": segment _trust is reserved");
            }
        }
        return gun;
    }

    /** root, targets, snapshot, timestamp, or a delegation {@code targets/<name>[/<name>…]} as notary 0.7 allows. */
    static String checkRole(String role) {
        if (role == null || role.length() >= 256 || !ROLE.matcher(role).matches()) {
            throw new IllegalArgumentException("invalid role " + quote(role)
                    + " (root, targets, snapshot, timestamp or targets/<name> with a-z 0-9 - _)");
        }
        return role;
    }

    /** notary-server 0.7 manages keys for these two roles only. */
    static String checkServerKeyRole(String role) {
        if (!"snapshot".equals(role) && !"timestamp".equals(role)) {
            throw new IllegalArgumentException(
                    "the server manages only snapshot and timestamp keys, not " + quote(role));
        }
        return role;
    }

    static String checkSha256Hex(String hex) {
        if (hex == null || !SHA256_HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("not a lower-case hex SHA-256: " + quote(hex));
        }
        return hex;
    }

    /** {@code <base>/v2/<gun>/_trust/tuf/<file>}; {@code file} may be empty (publish, delete). */
    static URI tuf(URI base, String gun, String file) {
        return URI.create(base + "/v2/" + checkGun(gun) + "/_trust/tuf/" + file);
    }

    static URI health(URI base) {
        return URI.create(base + "/_notary_server/health");
    }

    private static String quote(String s) {
        return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
