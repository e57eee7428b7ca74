package dev.custody.daemon.repo;

import dev.custody.daemon.keys.KeySigningException;
import dev.custody.daemon.rpc.Incidents;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.ConflictException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.InternalErrorException;
import dev.custody.protocol.MetadataInvalidException;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.ServerUnreachableException;
import dev.custody.tuf.MissingMetadataException;
import dev.custody.tuf.SigningException;
import dev.custody.tuf.TufException;
import dev.custody.tuf.server.NotaryServerException;

/**
 * The one place where failures of the TUF library (ceremony refusals included: {@link CeremonyRefusals})
 * and the Notary client become socket errors: bad metadata → METADATA_INVALID, no trust data →
 * NOT_FOUND, server down → SERVER_UNREACHABLE; a signer's token error keeps the code
 * {@code keys.TokenErrors} gave it (TOKEN_ABSENT, PIN_REQUIRED, …); anything else is INTERNAL with an
 * incident id.
 */
final class RepoErrors {
    private RepoErrors() {}

    static CustodyException of(String gun, String server, Exception e) {
        if (e instanceof CustodyException c) {
            return c;
        }
        CustodyException refusal = CeremonyRefusals.of(gun, e);
        if (refusal != null) {
            return refusal;
        }
        if (e instanceof SupersededException s) {
            return new ConflictException(
                    gun,
                    "another writer published " + gun + " first: " + s.getMessage()
                            + "; nothing of this operation is on the server");
        }
        if (e instanceof KeySigningException k) {
            return k.error();
        }
        if (e instanceof SigningException s) {
            return internal("signing failed: " + s.getMessage(), e);
        }
        if (e instanceof MissingMetadataException m) {
            return new NotFoundException("repository", gun, gun + ": " + m.getMessage());
        }
        if (e instanceof TufException t) {
            return new MetadataInvalidException(
                    t.role().orElse(null), gun + ": " + t.getMessage() + " (the trusted copy was left unchanged)");
        }
        if (e instanceof NotaryServerException n) {
            return switch (n.code()) {
                case SERVER_UNREACHABLE ->
                    new ServerUnreachableException(
                            server, "Notary server " + server + " is unreachable: " + n.getMessage());
                case NOT_FOUND ->
                    new NotFoundException(
                            "repository", gun, gun + " has no trust data on " + server + ": " + n.getMessage());
                case CONFLICT ->
                    new ConflictException(
                            gun,
                            "the server refused the update as out of date (someone else published?): "
                                    + n.getMessage());
                case METADATA_INVALID, RESPONSE_TOO_LARGE ->
                    new MetadataInvalidException(null, gun + ": " + n.getMessage());
                case BAD_REQUEST -> new BadRequestException("the server refused it: " + n.getMessage());
                case AUTH_REQUIRED, AUTH_DENIED ->
                    new ServerUnreachableException(server, "Notary server " + server + ": " + n.getMessage());
            };
        }
        if (e instanceof IllegalArgumentException) {
            return new BadRequestException(e.getMessage());
        }
        return internal(e.getClass().getSimpleName() + ": " + e.getMessage(), e);
    }

    static InternalErrorException internal(String message, Throwable e) {
        return Incidents.internal(message, e);
    }
}
