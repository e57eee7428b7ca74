package dev.custody.daemon.repo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.NotFoundException;
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

  ObjectNode list(String gun, String role, String server) throws CustodyException {
    NotaryServers.Server srv = servers.get(server);
    return repos.locked(gun, srv, () -> {
      Repository repo = repos.update(repos.state(gun), srv);
      String start = role == null ? "targets" : role;
      if (repo.targetsRole(start).isEmpty()) {
        throw new NotFoundException("role", start, gun + " has no role " + start);
      }
      ObjectNode out = JsonNodeFactory.instance.objectNode().put("gun", gun);
      ArrayNode arr = out.putArray("targets");
      for (Repository.Target t : repo.listTargets(start)) {
        arr.add(targetJson(t));
      }
      return out;
    });
  }

  ObjectNode lookup(String gun, String target, String server) throws CustodyException {
    NotaryServers.Server srv = servers.get(server);
    return repos.locked(gun, srv, () -> {
      Repository repo = repos.update(repos.state(gun), srv);
      for (Repository.Target t : repo.listTargets("targets")) {
        if (t.name().equals(target)) {
          return targetJson(t);
        }
      }
      throw new NotFoundException("target", target, gun + " has no target " + target);
    });
  }

  private static ObjectNode targetJson(Repository.Target t) {
    return JsonNodeFactory.instance.objectNode().put("name", t.name())
        .put("sha256", t.meta().hash("sha256").map(HexFormat.of()::formatHex).orElse(""))
        .put("length", t.meta().length()).put("role", t.role());
  }

  ObjectNode delegations(String gun) throws CustodyException {
    return repos.locked(gun, null, () -> {
      RepoState st = repos.state(gun);
      if (!st.hasTrustedRoot()) {
        throw new NotFoundException("repository", gun, gun + " has no trusted metadata here: repo.list it first");
      }
      ObjectNode out = JsonNodeFactory.instance.objectNode().put("gun", gun);
      ArrayNode arr = out.putArray("delegations");
      // the administrative keys as root.json lists them (docker trust inspect shows these IDs)
      Optional<byte[]> rootRaw = st.store().find(gun, "root");
      if (rootRaw.isPresent()) {
        Root root = (Root) Signed.parse(rootRaw.get(), "root").signed();
        ArrayNode rootIds = out.putArray("rootKeyIds");
        root.role("root").keyIds().forEach(rootIds::add);
        ArrayNode targetsIds = out.putArray("targetsKeyIds");
        root.role("targets").keyIds().forEach(targetsIds::add);
      }
      List<String> todo = new ArrayList<>(List.of("targets"));
      while (!todo.isEmpty()) {
        String role = todo.remove(0);
        Optional<byte[]> raw = st.store().find(gun, role);
        if (raw.isEmpty()) {
          continue;
        }
        Targets t = (Targets) Signed.parse(raw.get(), role).signed();
        for (DelegatedRole d : t.delegationsOrEmpty().roles()) {
          ObjectNode o = arr.addObject().put("role", d.name()).put("threshold", d.threshold());
          ArrayNode ids = o.putArray("keyIds");
          d.keyIds().forEach(ids::add);
          ArrayNode ps = o.putArray("paths");
          if (d.paths() != null) {
            d.paths().forEach(ps::add);
          }
          todo.add(d.name());
        }
      }
      return out;
    });
  }
}
