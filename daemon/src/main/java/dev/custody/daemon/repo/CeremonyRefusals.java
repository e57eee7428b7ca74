package dev.custody.daemon.repo;

import dev.custody.protocol.ConflictException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.MetadataInvalidException;
import dev.custody.tuf.TufException;
import dev.custody.tuf.ceremony.BaseMismatchException;
import dev.custody.tuf.ceremony.BundleTamperedException;
import dev.custody.tuf.ceremony.MalformedBundleException;
import dev.custody.tuf.ceremony.ServerMovedException;
import dev.custody.tuf.ceremony.StaleBundleException;
import dev.custody.tuf.ceremony.WrongGunException;
import java.util.Locale;
import java.util.Optional;

/**
 * Ceremony refusals of the TUF library (part of {@link RepoErrors}, the one converter for that family). The message starts with the refusal's
 * name in brackets ({@code [stale-bundle]}, {@code [tampered: new hash]}, …) so a person and a script can
 * tell them apart: the bundle was overtaken (stale base, server moved) → CONFLICT, prepare again; the
 * bundle does not check out (tampered, other GUN, base mismatch, malformed) → METADATA_INVALID.
 */
final class CeremonyRefusals {
    private CeremonyRefusals() {}

    /** The refusal's name, for a ceremony exception; empty for any other. */
    static Optional<String> refusal(Exception e) {
        if (e instanceof StaleBundleException) {
            return Optional.of("stale-bundle");
        }
        if (e instanceof ServerMovedException) {
            return Optional.of("server-moved");
        }
        if (e instanceof WrongGunException) {
            return Optional.of("wrong-gun");
        }
        if (e instanceof BaseMismatchException) {
            return Optional.of("base-mismatch");
        }
        if (e instanceof BundleTamperedException t) {
            return Optional.of(
                    "tampered: " + t.kind().name().toLowerCase(Locale.ROOT).replace('_', ' '));
        }
        if (e instanceof MalformedBundleException) {
            return Optional.of("malformed-bundle");
        }
        return Optional.empty();
    }

    /** A ceremony refusal as CONFLICT or METADATA_INVALID; null for anything else. */
    static CustodyException of(String gun, Exception e) {
        Optional<String> r = refusal(e);
        if (r.isEmpty()) {
            return null;
        }
        String message = "[" + r.get() + "] " + e.getMessage() + "; nothing was signed or sent";
        if (e instanceof StaleBundleException || e instanceof ServerMovedException) {
            return new ConflictException(gun, message);
        }
        return new MetadataInvalidException(((TufException) e).role().orElse(null), message);
    }
}
