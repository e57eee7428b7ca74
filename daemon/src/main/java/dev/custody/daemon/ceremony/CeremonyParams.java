package dev.custody.daemon.ceremony;

import java.util.List;

/** The params of the {@code ceremony.*} methods ({@code docs/protocol-methods.md}); absent members are null. */
final class CeremonyParams {
    private CeremonyParams() {}

    record Prepare(
            String gun,
            String operation,
            List<String> newRootKeyIds,
            List<String> newRootKeys,
            Integer rootThreshold,
            String lostKeyId,
            String newKeyId,
            String newKey,
            Boolean serverManaged,
            Integer expiresInDays,
            Integer chainFrom,
            String token,
            String server,
            List<String> serverCaSha256) {}

    record Sign(String bundle, String gun, Boolean trustBase) {}

    record Publish(String bundle, String gun, String server, List<String> serverCaSha256) {}

    record Trust(String gun, String root) {}

    record RootCert(String keyId, String gun) {}
}
