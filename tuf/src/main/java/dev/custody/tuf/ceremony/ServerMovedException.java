package dev.custody.tuf.ceremony;

import dev.custody.tuf.ErrorCode;
import dev.custody.tuf.TufException;

/**
 * At publish, the server's copy of a role is no longer the one the bundle was prepared on (someone
 * published in between). The collected signatures cannot be used; prepare the ceremony again.
 */
public final class ServerMovedException extends TufException {
    private final int baseVersion;
    private final int serverVersion;

    public ServerMovedException(String role, int baseVersion, int serverVersion) {
        super(
                ErrorCode.CEREMONY_SERVER_MOVED,
                role,
                role + " on the server is version " + serverVersion
                        + (serverVersion == baseVersion ? " with other contents than" : " instead of")
                        + " the version " + baseVersion + " the ceremony bundle was prepared on; prepare it again");
        this.baseVersion = baseVersion;
        this.serverVersion = serverVersion;
    }

    public int baseVersion() {
        return baseVersion;
    }

    public int serverVersion() {
        return serverVersion;
    }
}
