package dev.custody.daemon.repo;

import dev.custody.protocol.CustodyException;
import dev.custody.protocol.DelegationInfo;
import dev.custody.protocol.DelegationList;
import dev.custody.protocol.NotFoundException;
import dev.custody.protocol.TargetInfo;
import dev.custody.protocol.TargetList;
import dev.custody.tuf.model.DelegatedRole;
import dev.custody.tuf.model.Repository;
import dev.custody.tuf.model.Root;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.model.Targets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** The reads: {@code repo.list} and {@code repo.lookup} (verified from the server), {@code delegation.list} (local). */
final class RepoReads {
    private final Repos repos;
    private final NotaryServers servers;

    RepoReads(Repos repos) {
        this.repos = repos;
        this.servers = repos.servers();
    }

    TargetList list(String gun, String role, String server) throws CustodyException {
        NotaryServers.Server srv = servers.get(server);
        return repos.locked(gun, srv, () -> {
            Repository repo = repos.update(repos.state(gun), srv);
            String start = role == null ? "targets" : role;
            if (repo.targetsRole(start).isEmpty()) {
                throw new NotFoundException("role", start, gun + " has no role " + start);
            }
            return new TargetList(
                    gun, repo.listTargets(start).stream().map(RepoReads::info).toList());
        });
    }

    TargetInfo lookup(String gun, String target, String server) throws CustodyException {
        NotaryServers.Server srv = servers.get(server);
        return repos.locked(gun, srv, () -> {
            Repository repo = repos.update(repos.state(gun), srv);
            for (Repository.Target t : repo.listTargets("targets")) {
                if (t.name().equals(target)) {
                    return info(t);
                }
            }
            throw new NotFoundException("target", target, gun + " has no target " + target);
        });
    }

    private static TargetInfo info(Repository.Target t) {
        return new TargetInfo(
                t.name(),
                t.meta().hash("sha256").map(HexFormat.of()::formatHex).orElse(""),
                t.meta().length(),
                t.role());
    }

    DelegationList delegations(String gun) throws CustodyException {
        return repos.locked(gun, null, () -> {
            RepoState st = repos.state(gun);
            if (!st.hasTrustedRoot()) {
                throw new NotFoundException(
                        "repository", gun, gun + " has no trusted metadata here: repo.list it first");
            }
            // the administrative keys as root.json lists them (docker trust inspect shows these IDs)
            List<String> rootIds = null;
            List<String> targetsIds = null;
            Optional<byte[]> rootRaw = st.store().find(gun, "root");
            if (rootRaw.isPresent()) {
                Root root = (Root) Signed.parse(rootRaw.get(), "root").signed();
                rootIds = root.role("root").keyIds();
                targetsIds = root.role("targets").keyIds();
            }
            List<DelegationInfo> out = new ArrayList<>();
            List<String> todo = new ArrayList<>(List.of("targets"));
            while (!todo.isEmpty()) {
                String role = todo.remove(0);
                Optional<byte[]> raw = st.store().find(gun, role);
                if (raw.isEmpty()) {
                    continue;
                }
                Targets t = (Targets) Signed.parse(raw.get(), role).signed();
                for (DelegatedRole d : t.delegationsOrEmpty().roles()) {
                    out.add(new DelegationInfo(d.name(), d.threshold(), d.keyIds(), d.paths()));
                    todo.add(d.name());
                }
            }
            return new DelegationList(gun, out, rootIds, targetsIds);
        });
    }
}
