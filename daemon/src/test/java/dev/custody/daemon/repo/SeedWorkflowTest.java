package dev.custody.daemon.repo;

import static dev.custody.daemon.repo.testing.RepoTestbed.params;
import static dev.custody.daemon.repo.testing.RepoTestbed.sha256;
import static dev.custody.daemon.repo.testing.RepoTestbed.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import dev.custody.client.protocol.CustodyClient;
import dev.custody.daemon.repo.testing.RepoTestbed;
import dev.custody.daemon.testing.Capability;
import dev.custody.daemon.testing.Requires;
import dev.custody.protocol.NotFoundException;
import dev.custody.testhsm.NotaryCli;
import dev.custody.testhsm.NotaryList;
import dev.custody.tuf.model.Signed;
import dev.custody.tuf.sign.Signer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed workflow through the socket, every key on a SoftHSM2 token, against a real notary-server,
 * checked after each step by the real notary CLI: init, add, publish, rotate targets, rotate
 * snapshot to the server ({@code -r}), delegation targets/releases with a token key, publish as the
 * delegation, and a root rotation that a notary client holding the old root accepts.
 */
@Requires(Capability.LINUX)
class SeedWorkflowTest {
    private static final Duration LIMIT = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    static String pem(Signer s) {
        return RepoTestbed.publicKeyPem(s);
    }

    @Test
    void delete_localAndRemote_goneForNotaryAndForUs() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, "");
                    CustodyClient c = t.client()) {
                String gun = RepoTestbed.newGun("delete");
                c.call("repo.init", params("gun", gun, "serverManagedSnapshot", true));
                c.call("repo.add", target(gun, "a", "a"));
                JsonNode first = c.call("repo.add", target(gun, "b", "b").put("publish", true));
                assertThat(first.get("published").get("roles").fieldNames())
                        .toIterable()
                        .containsExactly("root", "targets");
                assertThat(NotaryList.parse(t.notary("before").ok("list", gun))).containsOnlyKeys("a", "b");
                c.call("repo.add", target(gun, "c", "c"));
                assertThat(c.call("repo.reset", params("gun", gun))
                                .get("dropped")
                                .asInt())
                        .isEqualTo(1);

                assertThat(c.call("repo.delete", params("gun", gun))
                                .get("remote")
                                .asBoolean())
                        .isFalse();
                assertThatThrownBy(() -> c.call("repo.status", params("gun", gun)))
                        .isInstanceOf(NotFoundException.class);
                assertThat(c.call("repo.list", params("gun", gun)).get("targets"))
                        .hasSize(2); // trusted again from the server

                JsonNode del = c.call("repo.delete", params("gun", gun, "remote", true));
                assertThat(del.get("remote").asBoolean()).isTrue();
                assertThat(t.notary("after").run("list", gun).stdout()).contains("does not have trust data");
                assertThatThrownBy(() -> c.call("repo.list", params("gun", gun)))
                        .isInstanceOf(NotFoundException.class);
            }
        });
    }

    @Test
    void init_twoRootKeysThresholdTwo_listedByNotary() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, "");
                    CustodyClient c = t.client()) {
                String gun = RepoTestbed.newGun("threshold");
                String a = t.newKey(gun, "root").keyId();
                String b = t.newKey(gun, "root").keyId();
                JsonNode init = c.call(
                        "repo.init",
                        params("gun", gun, "rootKeyIds", List.of(a, b), "rootThreshold", 2, "publish", true));
                assertThat(init.get("rootKeyIds")).hasSize(2);
                assertThat(init.get("published").asBoolean()).isTrue();
                c.call("repo.add", target(gun, "v1", "one").put("publish", true));
                NotaryCli n = t.notary("threshold");
                assertThat(NotaryList.parse(n.ok("list", gun))).containsOnlyKeys("v1");
                Signed<?> root = Signed.parse(Files.readAllBytes(n.metadataFile(gun, "root")), "root");
                assertThat(root.signatures()).hasSize(2);
            }
        });
    }

    @Test
    void seedWorkflow_listedByNotary() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (RepoTestbed t = RepoTestbed.start(dir, "");
                    CustodyClient c = t.client()) {
                String gun = RepoTestbed.newGun("seed");
                JsonNode init = c.call("repo.init", params("gun", gun));
                assertThat(init.get("published").asBoolean()).isFalse();
                assertThat(init.get("rootKeyIds")).hasSize(1);
                assertThat(c.call("repo.add", target(gun, "v1", "one"))
                                .get("staged")
                                .asInt())
                        .isEqualTo(1);
                assertThat(c.call("repo.status", params("gun", gun))
                                .get("changes")
                                .get(0)
                                .get("path")
                                .asText())
                        .isEqualTo("v1");
                JsonNode pub = c.call("repo.publish", params("gun", gun));
                assertThat(pub.get("roles").get("root").asInt()).isEqualTo(1);
                assertThat(pub.get("roles").get("targets").asInt()).isEqualTo(1);
                assertThat(pub.get("roles").get("snapshot").asInt()).isEqualTo(1);
                assertThat(c.call("repo.status", params("gun", gun)).get("changes"))
                        .isEmpty();

                NotaryCli cached = t.notary("cached");
                assertThat(NotaryList.parse(cached.ok("list", gun)).get("v1"))
                        .containsExactly(sha256("one"), "3", "targets");

                // key rotate targets: root v2
                JsonNode rt = c.call("key.rotate", params("gun", gun, "role", "targets"));
                assertThat(rt.get("rootVersion").asInt()).isEqualTo(2);
                assertThat(rt.get("oldKeyIds").get(0).asText())
                        .isEqualTo(init.get("targetsKeyId").asText());
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1");

                // key rotate snapshot -r: root v3, the server signs snapshots from now on
                JsonNode rs = c.call("key.rotate", params("gun", gun, "role", "snapshot", "serverManaged", true));
                assertThat(rs.get("rootVersion").asInt()).isEqualTo(3);
                JsonNode p2 = c.call("repo.add", target(gun, "v2", "two").put("publish", true));
                assertThat(p2.get("published").get("roles").fieldNames())
                        .toIterable()
                        .containsExactly("targets");
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2");

                // delegation targets/releases with a token key, then publish as the delegation
                Signer releases = t.newKey(gun, "targets/releases");
                JsonNode d = c.call(
                        "delegation.add",
                        params(
                                "gun",
                                gun,
                                "role",
                                "targets/releases",
                                "keyIds",
                                List.of(releases.keyId()),
                                "allPaths",
                                true,
                                "publish",
                                true));
                assertThat(d.get("keyIds").get(0).asText()).isEqualTo(releases.keyId());
                JsonNode dl = c.call("delegation.list", params("gun", gun));
                assertThat(dl.get("delegations").get(0).get("role").asText()).isEqualTo("targets/releases");
                assertThat(dl.get("delegations").get(0).get("paths").get(0).asText())
                        .isEmpty();
                JsonNode asDeleg = c.call(
                        "repo.add",
                        target(gun, "rel", "release")
                                .put("role", "targets/releases")
                                .put("publish", true));
                assertThat(asDeleg.get("published").get("roles").fieldNames())
                        .toIterable()
                        .containsExactly("targets/releases");
                assertThat(NotaryList.parse(cached.ok("list", gun, "-r", "targets/releases")))
                        .containsOnlyKeys("rel");
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2", "rel");

                // key rotate root: v4, cross-signed; the client holding root v1 walks to v4 and lists
                JsonNode rr = c.call("key.rotate", params("gun", gun, "role", "root"));
                assertThat(rr.get("rootVersion").asInt()).isEqualTo(4);
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2", "rel");
                Signed<?> root4 = Signed.parse(Files.readAllBytes(cached.metadataFile(gun, "root")), "root");
                assertThat(root4.version()).isEqualTo(4);
                assertThat(root4.signatures()).hasSize(2);
                assertThat(NotaryList.parse(t.notary("fresh").ok("list", gun))).containsOnlyKeys("v1", "v2", "rel");

                // old keys stay on the token until the operator removes them
                assertThat(c.call("key.list", params("gun", gun)).get("keys"))
                        .extracting(k -> k.get("keyId").asText())
                        .contains(
                                init.get("targetsKeyId").asText(),
                                rt.get("newKeyId").asText());
                // our own verified view agrees
                JsonNode list = c.call("repo.list", params("gun", gun));
                assertThat(list.get("targets"))
                        .extracting(n -> n.get("name").asText())
                        .containsExactly("rel", "v1", "v2");
                assertThat(c.call("repo.lookup", params("gun", gun, "target", "rel"))
                                .get("role")
                                .asText())
                        .isEqualTo("targets/releases");
                // after the rotation the new root key alone signs a witnessed root
                JsonNode w = c.call("repo.witness", params("gun", gun, "roles", List.of("root"), "publish", true));
                assertThat(w.get("published").get("roles").get("root").asInt()).isEqualTo(5);
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2", "rel");
                // key rotate timestamp -r: the server's new timestamp key, root v6
                JsonNode ts = c.call("key.rotate", params("gun", gun, "role", "timestamp", "serverManaged", true));
                assertThat(ts.get("rootVersion").asInt()).isEqualTo(6);
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v1", "v2", "rel");
                c.call("repo.remove", params("gun", gun, "target", "v1", "publish", true));
                assertThat(NotaryList.parse(cached.ok("list", gun))).containsOnlyKeys("v2", "rel");
            }
        });
    }
}
