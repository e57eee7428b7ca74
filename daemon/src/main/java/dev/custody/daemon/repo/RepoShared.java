package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.daemon.rpc.CallerIdentity;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.results.Published;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.repo.KeyRing;
import dev.custody.tuf.server.NotaryClient;
import java.util.Map;

/**
 * What the repository extension shares with other extensions of the same daemon (the ceremony methods):
 * per-repository state and locks, the configured servers, the verified update, the key ring over the
 * key service, and the approvals queue that {@code pending.*} serves. Reached with
 * {@link RepoExtension#shared()}.
 */
public final class RepoShared {
    private final Repos service;

    RepoShared(Repos service) {
        this.service = service;
    }

    /** A configured Notary server. */
    public record Server(String name, NotaryClient client) {}

    /** Work on one repository while its GUN lock is held. */
    @FunctionalInterface
    public interface Work<T> {
        T run(RepoState state) throws Exception;
    }

    /** Work on one repository and a server while its GUN lock is held. */
    @FunctionalInterface
    public interface OnlineWork<T> {
        T run(RepoState state, Server server) throws Exception;
    }

    /** Builds the signed files of a journaled publish whose metadata was made elsewhere (a ceremony bundle). */
    @FunctionalInterface
    public interface SignedFiles {
        Map<String, byte[]> build() throws Exception;
    }

    /**
     * Runs {@code work} holding the GUN lock, after settling unfinished operations on it; failures become
     * socket errors as for the {@code repo.*} methods (a {@link CustodyException} thrown by {@code work} is kept).
     */
    public <T> T online(String gun, String server, OnlineWork<T> work) throws CustodyException {
        return online(gun, server, null, work);
    }

    /**
     * {@link #online(String, String, OnlineWork)} on the server {@code server} names (configured name or URL),
     * refused unless its CA certificates are exactly {@code serverCaSha256} (SHA-256 fingerprints) when given.
     */
    public <T> T online(String gun, String server, java.util.List<String> serverCaSha256, OnlineWork<T> work)
            throws CustodyException {
        NotaryServers.Server srv = service.servers().get(server, serverCaSha256);
        Server s = new Server(srv.name(), srv.client());
        return service.locked(gun, srv, () -> work.run(service.state(gun), s));
    }

    /** Runs {@code work} holding the GUN lock, no server involved. */
    public <T> T offline(String gun, Work<T> work) throws CustodyException {
        return service.locked(gun, null, () -> work.run(service.state(gun)));
    }

    /**
     * The repository as verified from the server now (the trusted copy moves forward). With
     * {@code allowExpiredRoot}, a root that has expired is accepted (only to prepare its re-signing).
     */
    public Repository update(RepoState st, Server srv, boolean allowExpiredRoot) throws Exception {
        return service.update(st, new NotaryServers.Server(srv.name(), srv.client()), allowExpiredRoot);
    }

    /**
     * Publishes what {@code build} signs as one journaled operation ({@code ceremony-publish}: planned →
     * signed → posting → posted → committed; resumed or rolled back after a crash like a publish). Call it
     * inside {@link #online}. {@code plan} goes into the journal (no secrets); with {@code assignOnlineKeys:
     * true} the new root's targets/snapshot keys this daemon holds are recorded for the GUN at commit.
     *
     * @return the roles sent as {@code repo.publish} returns them
     */
    public Published journaledPublish(RepoState state, Server server, ObjectNode plan, SignedFiles build)
            throws Exception {
        return service.pipeline()
                .journaledPublish(
                        PublishPipeline.OP_CEREMONY, state, service.servers().get(server.name()), plan, build);
    }

    /**
     * A failure of the TUF library (a ceremony refusal included) or the Notary client as the socket error
     * the repository methods answer with: the one converter of that family ({@link RepoErrors}).
     */
    public static CustodyException toCustody(String gun, Exception e) {
        return RepoErrors.of(gun, null, e);
    }

    /** Signers from the key service, found by the key a role lists (a root certificate signs as its bare key). */
    public KeyRing ring() {
        return service.ring();
    }

    /**
     * Token holders ({@code tokens[].holders}): waits until the holders of enough of the tokens whose keys
     * {@code needs} lists approved (one pending entry per token), and returns {@code ring} without the keys of
     * tokens that were not approved. Returns {@code ring} at once when no needed key is on a token with holders.
     *
     * @throws CustodyException APPROVAL_DENIED when a holder denied or the approval timeout passed
     */
    public KeyRing gateByHolders(
            CallerIdentity caller,
            String method,
            String gun,
            String summary,
            KeyRing ring,
            java.util.List<TokenHolderGate.Need> needs)
            throws CustodyException {
        return service.holders().gate(caller, method, gun, summary, ring, needs);
    }

    /**
     * Appends the audit line of a ceremony step that succeeded, for {@code call}'s caller; {@code hashOf}
     * (may be null) is hashed into {@code metadataHash}.
     */
    public void audit(
            String event,
            dev.custody.daemon.rpc.Call call,
            String gun,
            String role,
            String keyId,
            Long version,
            byte[] hashOf,
            String message)
            throws java.io.IOException {
        service.audit(
                event,
                call.caller(),
                call.decision(),
                gun,
                role,
                keyId,
                version,
                hashOf == null ? null : Repos.sha256Hex(hashOf),
                message);
    }

    /** Blocks until a custodian approves (shown in {@code pending.list} with {@code summary}); APPROVAL_DENIED otherwise. */
    public void awaitApproval(CallerIdentity caller, String method, String gun, String role, String summary)
            throws CustodyException {
        service.approvals().await(caller, method, gun, role, summary);
    }
}
