package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which files {@code custody key import DIR} picks up, and what role and GUN it gives them: notary 0.7's
 * flat {@code private/<id>.key} with PEM headers, and the older {@code root_keys/} / {@code tuf_keys/<gun>/}
 * layout without headers. (The key material itself is only ever read by custodyd; these PEM bodies are
 * placeholders.)
 */
class TrustDirFilesTest {
    @TempDir
    Path dir;

    private static String pem(String headers) {
        return "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + headers + (headers.isEmpty() ? "" : "\n")
                + "MIHuMEkGCSqGSIb3DQEFDTA8MBsGCSqGSIb3DQEFDDAOBAgPa0T7FO6+DgICCAAw\n-----END ENCRYPTED PRIVATE KEY-----\n";
    }

    @Test
    void collect_notary07Layout_rolesAndGunsFromHeaders() throws Exception {
        Path priv = Files.createDirectories(dir.resolve("trust/private"));
        Files.writeString(priv.resolve("aa.key"), pem("role: root\n"));
        Files.writeString(priv.resolve("bb.key"), pem("gun: example.com/app\nrole: targets\n"));
        Files.writeString(priv.resolve("notes.txt"), "not a key");
        Files.createDirectories(dir.resolve("trust/tuf/example.com/app/metadata"));
        Files.writeString(dir.resolve("trust/tuf/example.com/app/metadata/root.json"), "{}");

        List<TrustDirFiles.KeyFile> keys = TrustDirFiles.collect(dir.resolve("trust"));
        assertThat(keys).extracting(k -> k.path().getFileName().toString()).containsExactly("aa.key", "bb.key");
        assertThat(keys.get(0).role()).isEqualTo("root");
        assertThat(keys.get(0).headerGun()).isNull();
        assertThat(keys.get(1).role()).isEqualTo("targets");
        assertThat(keys.get(1).headerGun()).isEqualTo("example.com/app");
        assertThat(keys).allMatch(TrustDirFiles.KeyFile::encrypted);
        assertThat(keys.get(1).toString()).doesNotContain("MIHu");
        // the private/ folder itself works the same
        assertThat(TrustDirFiles.collect(priv)).hasSize(2);
    }

    @Test
    void collect_olderLayout_rolesAndGunsFromThePath() throws Exception {
        Path priv = dir.resolve("trust/private");
        Files.createDirectories(priv.resolve("root_keys"));
        Files.createDirectories(priv.resolve("tuf_keys/example.com/team/app"));
        Files.writeString(priv.resolve("root_keys/cc_root.key"), pem(""));
        Files.writeString(priv.resolve("tuf_keys/example.com/team/app/dd_targets.key"), pem(""));
        Files.writeString(priv.resolve("tuf_keys/example.com/team/app/ee_snapshot.key"), pem(""));

        List<TrustDirFiles.KeyFile> keys = TrustDirFiles.collect(dir.resolve("trust"));
        assertThat(keys).extracting(TrustDirFiles.KeyFile::role).containsExactly("root", "targets", "snapshot");
        assertThat(keys)
                .extracting(TrustDirFiles.KeyFile::layoutGun)
                .containsExactly(null, "example.com/team/app", "example.com/team/app");
        assertThat(keys).extracting(TrustDirFiles.KeyFile::headerRole).containsOnlyNulls();
    }

    @Test
    void collect_emptyDirectory_usageError() throws Exception {
        Files.createDirectories(dir.resolve("empty/private"));
        assertThatThrownBy(() -> TrustDirFiles.collect(dir.resolve("empty")))
                .isInstanceOf(Failure.UsageException.class)
                .hasMessageContaining("no *.key files under");
    }

    @Test
    void passphraseVariables_asNotaryAndDockerNameThem() {
        Map<String, String> env = Map.of(
                "NOTARY_ROOT_PASSPHRASE",
                "r",
                "DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE",
                "d",
                "NOTARY_TARGETS_PASSPHRASE",
                "");
        assertThat(TrustDirFiles.passphraseVariable(env, "root")).isEqualTo("NOTARY_ROOT_PASSPHRASE");
        assertThat(TrustDirFiles.passphraseVariable(env, "targets"))
                .as("an empty variable counts as unset")
                .isEqualTo("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE");
        assertThat(TrustDirFiles.passphraseVariable(env, "targets/releases"))
                .isEqualTo("DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE");
        assertThat(TrustDirFiles.passphraseVariable(Map.of(), "snapshot")).isNull();
        assertThat(TrustDirFiles.passphraseFromEnv(env, "root")).containsExactly('r');
    }
}
