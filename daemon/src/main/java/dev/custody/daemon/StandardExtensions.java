package dev.custody.daemon;

import dev.custody.daemon.ceremony.CeremonyExtension;
import dev.custody.daemon.keys.KeysExtension;
import dev.custody.daemon.keys.Pkcs11FrontDoor;
import dev.custody.daemon.repo.RepoExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * custodyd's own extensions, wired to each other by construction: the keys extension's key service
 * goes to the repository and ceremony extensions, the repository extension's shared part to the
 * ceremony's. Further extensions come from {@link ServiceLoader}.
 */
public final class StandardExtensions {
    private StandardExtensions() {}

    /**
     * Keys ({@code token.*}, {@code key.*}, …), repositories ({@code repo.*}, …), ceremonies and the PKCS#11
     * front door ({@code pkcs11.*}), in that order.
     *
     * @param env where the repository extension's debug crash hook reads {@code CUSTODY_DEBUG*}
     */
    public static List<DaemonExtension> create(Map<String, String> env) {
        KeysExtension keys = new KeysExtension();
        RepoExtension repo = new RepoExtension(keys::keyService, env);
        CeremonyExtension ceremony = new CeremonyExtension(keys::keyService, repo::shared);
        Pkcs11FrontDoor frontDoor = new Pkcs11FrontDoor(keys, () -> Optional.of(repo.shared()));
        return List.of(keys, repo, ceremony, frontDoor);
    }

    /** {@link #create} followed by every extension {@link ServiceLoader} finds. */
    public static List<DaemonExtension> withServiceLoader(Map<String, String> env) {
        List<DaemonExtension> all = new ArrayList<>(create(env));
        ServiceLoader.load(DaemonExtension.class).forEach(all::add);
        return all;
    }
}
