package dev.custody.client.cli;

import dev.custody.protocol.RepoAdoptResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code custody adopt GUN}: custodyd starts trusting a repository that already exists on the Notary
 * server (made with the notary CLI or docker trust), after its keys were imported or adopted.
 */
@Command(
        name = "adopt",
        sortOptions = false,
        description = {
            "Takes over an existing repository (made with notary or docker trust) whose keys are now on"
                    + " custodyd's tokens.",
            "Online: fetches and verifies the repository's metadata; signs and sends nothing.",
            "The server's current root is trusted only if it is signed by a root key on custodyd's tokens (import"
                    + " it first: custody key import ~/.notary), or by --root-key-id, an ID you checked out of band"
                    + " (e.g. notary key list on the old machine). Afterwards add, publish and key rotate work as for a"
                    + " repository made with custody init."
        },
        footer = {
            "  custody key import ~/.notary --root-token root-1 --token ci-hsm",
            "  custody adopt registry.example.com/team/app"
        })
final class AdoptCommand extends GunCommand {
    @Option(
            names = "--root-key-id",
            paramLabel = "KEYID",
            description = "Trust the root only if signed by this root key ID (repeat for several)")
    List<String> rootKeyIds = new ArrayList<>();

    @Override
    int run() throws Exception {
        RepoAdoptResult r;
        try (Progress p = progress("fetching and verifying " + gun)) {
            r = api().repoAdopt(gun, rootKeyIds);
        }
        if (json()) {
            printJson(r);
            return ExitCodes.OK;
        }
        out().println("Adopted " + gun + " at root version " + r.rootVersion()
                + (r.keyId() == null ? "" : ": its root is signed by root key " + r.keyId()));
        Table t = new Table("ROLE", "KEYS", "ON CUSTODYD'S TOKENS");
        for (Map.Entry<String, RepoAdoptResult.RoleKeys> e : r.roles().entrySet()) {
            t.row(
                    e.getKey(),
                    e.getValue().keyIds().size(),
                    e.getValue().onTokens().size());
        }
        for (Map.Entry<String, RepoAdoptResult.RoleKeys> e : r.delegations().entrySet()) {
            t.row(
                    e.getKey(),
                    e.getValue().keyIds().size(),
                    e.getValue().onTokens().size());
        }
        out().print("\n" + t.render() + "\n");
        r.notes().forEach(n -> out().println("Note: " + n));
        return ExitCodes.OK;
    }
}
