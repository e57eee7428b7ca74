package dev.custody.daemon.repo;

import dev.custody.daemon.keys.KeyService;
import dev.custody.daemon.policy.Action;
import dev.custody.daemon.policy.Decision;
import dev.custody.daemon.policy.Operation;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.PolicyDeniedException;
import dev.custody.protocol.RepoStatus;
import dev.custody.protocol.ResetResult;
import dev.custody.protocol.results.Published;
import dev.custody.protocol.results.StageResult;
import dev.custody.tuf.model.TufKey;
import dev.custody.tuf.sign.Signer;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Staged changes: {@code repo.add}/{@code addBatch}/{@code remove}/{@code witness},
 * {@code delegation.add}/{@code remove} stage here (and publish at once with {@code publish: true}),
 * {@code repo.status} shows them and {@code repo.reset} drops them.
 */
final class Staging {
    private final Repos repos;
    private final Supplier<KeyService> keys;
    private final NotaryServers servers;
    private final Publishing publishing;

    Staging(Repos repos, Publishing publishing) {
        this.repos = repos;
        this.keys = repos.keys();
        this.servers = repos.servers();
        this.publishing = publishing;
    }

    StageResult stage(Repos.Caller c, String gun, String server, List<Change> changes, boolean publish)
            throws CustodyException {
        if (!publish) {
            // offline: no GUN lock, so a server call in progress on this GUN does not hold it up
            return repos.offline(gun, () -> {
                RepoState st = known(gun);
                return new StageResult(gun, st.stage(changes));
            });
        }
        NotaryServers.Server srv = servers.get(server);
        return repos.locked(gun, srv, () -> {
            RepoState st = known(gun);
            long uid = c.identity().uid();
            int staged = st.stage(changes.stream().map(ch -> ch.stagedBy(uid)).toList());
            StageResult out = new StageResult(gun, staged);
            if (publish) {
                Action publishing = new Action(
                        Operation.PUBLISH,
                        gun,
                        changes.isEmpty() ? null : changes.get(0).scope());
                Decision d = repos.decide(c, publishing);
                if (!d.allowed()) {
                    throw new PolicyDeniedException(
                            d.rule(),
                            Operation.PUBLISH.wireName(),
                            gun,
                            null,
                            d.reason() + " (the changes stay staged)");
                }
                Published r = this.publishing.publishLocked(
                        new Repos.Caller(c.identity(), c.method(), publishing, d), st, srv);
                out = out.published(st.changes().size(), r);
            }
            return out;
        });
    }

    /** The state of {@code gun}, which must be known here (initialised, adopted or listed once). */
    private RepoState known(String gun) throws CustodyException {
        RepoState st = repos.state(gun);
        if (!st.exists()) {
            throw new NotFoundException(
                    "repository",
                    gun,
                    gun + " is not known here: repo.init it, repo.adopt it (a"
                            + " repository made elsewhere, e.g. with notary), or repo.list it once to trust it");
        }
        return st;
    }

    /** The public key of a key in the inventory (a delegation key made with {@code key.generate}). */
    TufKey inventoryKey(String keyId) throws CustodyException {
        return keys.get()
                .findSigner(keyId)
                .map(Signer::key)
                .orElseThrow(() -> new NotFoundException(
                        "key", keyId, "no key " + keyId + " in the inventory (key.list shows them)"));
    }

    RepoStatus status(String gun) throws CustodyException {
        return repos.offline(gun, () -> {
            RepoState st = repos.state(gun);
            if (!st.exists()) {
                throw new NotFoundException("repository", gun, gun + " is not known here");
            }
            return new RepoStatus(
                    gun, st.changes().stream().map(Change::toStatus).toList());
        });
    }

    ResetResult reset(String gun) throws CustodyException {
        return repos.offline(gun, () -> {
            RepoState st = repos.state(gun);
            if (!st.exists()) {
                throw new NotFoundException("repository", gun, gun + " is not known here");
            }
            return new ResetResult(gun, st.dropChanges(Long.MAX_VALUE));
        });
    }

    /** The role policy sees for {@code repo.publish}: the scope of the first staged change. */
    String publishRole(String gun) {
        try {
            List<Change> ch = repos.state(gun).changes();
            // a targets change names the role a publisher is usually limited to; the per-change check covers the rest
            Optional<Change> target =
                    ch.stream().filter(c -> c.type().equals(Change.TARGET)).findFirst();
            Change first = target.orElse(ch.isEmpty() ? null : ch.get(0));
            return first == null ? null : first.type().equals(Change.TARGET) ? first.scope() : first.path();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
