package dev.custody.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.daemon.policy.Glob;
import dev.custody.daemon.policy.Operation;
import dev.custody.daemon.policy.Rule;
import dev.custody.daemon.rpc.ServerLimits;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Path module;
    private Path ca;
    private Path creds;

    /** Accounts known to these tests, independent of the machine. */
    private static final ConfigLoader.Accounts ACCOUNTS = new ConfigLoader.Accounts() {
        final Map<String, Long> users = Map.of("ci", 1001L, "alice", 1002L);
        final Map<String, Long> groups = Map.of("custody", 990L, "custody-admin", 991L, "releng", 992L);

        @Override
        public OptionalLong uidOf(String user) {
            return users.containsKey(user) ? OptionalLong.of(users.get(user)) : OptionalLong.empty();
        }

        @Override
        public OptionalLong gidOf(String group) {
            return groups.containsKey(group) ? OptionalLong.of(groups.get(group)) : OptionalLong.empty();
        }
    };

    @BeforeEach
    void files() throws IOException {
        module = Files.writeString(dir.resolve("libfake-pkcs11.so"), "");
        ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        creds = Files.writeString(dir.resolve("notary.credentials"), "user:pass\n");
        Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString("rw-------"));
    }

    private DaemonConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, dir.resolve("custodyd.yaml"), ACCOUNTS);
    }

    private ConfigException error(String yaml) {
        try {
            parse(yaml);
        } catch (ConfigException e) {
            return e;
        }
        throw new AssertionError("expected a ConfigException for:\n" + yaml);
    }

    @Test
    void parse_emptyFile_givesDefaults() throws ConfigException {
        DaemonConfig c = parse("");
        assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/custody"));
        assertThat(c.auditLog()).isEqualTo(Path.of("/var/lib/custody/audit.log"));
        assertThat(c.socket().path()).isEqualTo(Path.of("/run/custody/custody.sock"));
        assertThat(PosixFilePermissions.toString(c.socket().mode())).isEqualTo("rw-rw----");
        assertThat(c.socket().group()).isEqualTo("custody");
        assertThat(c.tokens()).isEmpty();
        assertThat(c.servers()).isEmpty();
        assertThat(c.policy().rules()).isEmpty();
        assertThat(c.policy().custodianGroup()).isEqualTo("custody-admin");
        assertThat(c.limits()).isEqualTo(ServerLimits.DEFAULTS);
        assertThat(c.approvalTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.pinCacheTime()).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void parse_fullConfig_bindsEverything() throws ConfigException {
        DaemonConfig c = parse("""
        stateDir: /srv/custody/state
        socket:
          path: /srv/custody/custody.sock
          mode: "0600"
          group: releng
        tokens:
          - name: yubikey-1
            module: %s
            serial: 12345678
            pin: prompt
          - name: soft
            module: %s
            uri: "pkcs11:token=custody%%20root;serial=0a1b?module-name=softhsm2"
            pin: credential:custody-pin
          - name: ci-token
            module: %s
            label: ci
            pin: env:CUSTODY_TEST_PIN
        servers:
          - url: https://notary.example.com:4443
            caFile: %s
            credentialsFile: %s
          - name: staging
            url: http://127.0.0.1:4443/
        policy:
          custodianGroup: custody-admin
          rules:
            - name: ci-team
              users: [ci]
              uids: [1500]
              guns: ["registry.example.com/team/*"]
              roles: [targets/ci]
              operations: [add, remove, publish]
            - name: root-approval
              groups: [custody-admin]
              roles: [root]
              approval: required
            - name: no-raw
              gids: [992]
              operations: [sign.raw]
              effect: deny
            - name: admins
              groups: [custody-admin]
              operations: ["*"]
        audit:
          path: /srv/custody/log/audit.log
        limits:
          maxRequestBytes: 2MiB
          maxConnections: 16
          maxInFlightPerCaller: 2
          workerThreads: 4
          idleTimeout: 90s
          requestReadTimeout: 1500ms
          shutdownGrace: PT5S
        approvalTimeout: 5m
        pinCacheTime: 1h
        """.formatted(module, module, module, ca, creds));
        assertThat(c.source()).isEqualTo(dir.resolve("custodyd.yaml"));
        assertThat(c.stateDir()).isEqualTo(Path.of("/srv/custody/state"));
        assertThat(PosixFilePermissions.toString(c.socket().mode())).isEqualTo("rw-------");
        assertThat(c.socket().group()).isEqualTo("releng");
        assertThat(c.tokens()).hasSize(3);
        TokenConfig yk = c.findToken("yubikey-1").orElseThrow();
        assertThat(yk.serial()).isEqualTo("12345678");
        assertThat(yk.pin()).isEqualTo(TokenPin.prompt());
        assertThat(yk.pin().findSource()).isEmpty();
        assertThat(yk.selector().serial()).isEqualTo("12345678");
        TokenConfig soft = c.findToken("soft").orElseThrow();
        assertThat(soft.uri().label()).isEqualTo("custody root");
        assertThat(soft.uri().serial()).isEqualTo("0a1b");
        assertThat(soft.selector()).isEqualTo(soft.uri());
        assertThat(soft.pin().spec()).isEqualTo("credential:custody-pin");
        assertThat(soft.pin().findSource()).isPresent();
        assertThat(c.findToken("ci-token").orElseThrow().pin()).isEqualTo(TokenPin.parse("env:CUSTODY_TEST_PIN"));
        assertThat(c.servers()).extracting(ServerConfig::name).containsExactly("default", "staging");
        assertThat(c.findServer("default").orElseThrow().url())
                .isEqualTo(URI.create("https://notary.example.com:4443"));
        assertThat(c.findServer("default").orElseThrow().caFile()).isEqualTo(ca);
        assertThat(c.findServer("staging").orElseThrow().findCaFile()).isEmpty();
        assertThat(c.policy().rules())
                .extracting(Rule::name)
                .containsExactly("ci-team", "root-approval", "no-raw", "admins");
        Rule ci = c.policy().rules().get(0);
        assertThat(ci.uids()).containsExactlyInAnyOrder(1001L, 1500L);
        assertThat(ci.guns()).containsExactly(Glob.of("registry.example.com/team/*"));
        assertThat(ci.operations()).containsExactlyInAnyOrder(Operation.ADD, Operation.REMOVE, Operation.PUBLISH);
        assertThat(c.policy().rules().get(1).approvalRequired()).isTrue();
        assertThat(c.policy().rules().get(1).gids()).containsExactly(991L);
        assertThat(c.policy().rules().get(2).effect()).isEqualTo(Rule.Effect.DENY);
        assertThat(c.policy().rules().get(3).operations())
                .as("* = every operation")
                .isEmpty();
        assertThat(c.auditLog()).isEqualTo(Path.of("/srv/custody/log/audit.log"));
        assertThat(c.limits())
                .isEqualTo(new ServerLimits(
                        2 << 20, 16, 2, 4, Duration.ofSeconds(90), Duration.ofMillis(1500), Duration.ofSeconds(5)));
        assertThat(c.approvalTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.pinCacheTime()).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void parse_auditDefaultsIntoStateDir() throws ConfigException {
        assertThat(parse("stateDir: /srv/s\n").auditLog()).isEqualTo(Path.of("/srv/s/audit.log"));
    }

    @Test
    void parse_unquotedOctalMode_isRead() throws ConfigException {
        assertThat(PosixFilePermissions.toString(
                        parse("socket: {mode: 0660}\n").socket().mode()))
                .isEqualTo("rw-rw----");
        assertThat(PosixFilePermissions.toString(
                        parse("socket: {mode: \"660\"}\n").socket().mode()))
                .isEqualTo("rw-rw----");
    }

    @Test
    void parse_nullGroup_keepsDaemonGroup() throws ConfigException {
        assertThat(parse("socket: {group: ~}\n").socket().findGroup()).isEmpty();
    }

    @Test
    void parse_integersBeyondLong_refusedNotWrapped() {
        // asLong() of these is 1, 0, 1024 and 0660: they must not be read as those
        assertThat(error("limits: {maxConnections: 18446744073709551617}\n").field())
                .isEqualTo("limits.maxConnections");
        assertThat(error("policy: {rules: [{name: r, uids: [18446744073709551616]}]}\n")
                        .field())
                .isEqualTo("policy.rules[0].uids[0]");
        assertThat(error("limits: {maxRequestBytes: 18446744073709552640}\n").field())
                .isEqualTo("limits.maxRequestBytes");
        assertThat(error("socket: {mode: 4294967728}\n").field()).isEqualTo("socket.mode");
    }

    @Test
    void parse_pathWithNul_isConfigError() {
        assertThat(error("stateDir: \"/var/lib/\\0custody\"\n").getMessage()).contains("stateDir: is not a path");
    }

    @Test
    void errors_nameFileAndField() {
        ConfigException e = error("socket:\n  pathh: /x\n");
        assertThat(e.getMessage())
                .startsWith(dir.resolve("custodyd.yaml") + ": socket.pathh: unknown field")
                .contains("known here: group, mode, path");
        assertThat(e.field()).isEqualTo("socket.pathh");
        assertThat(e.file()).isEqualTo(dir.resolve("custodyd.yaml"));
    }

    @Test
    void errors_badValues() {
        assertThat(error("limits: {idleTimeout: 5 minutes}\n").getMessage())
                .contains("limits.idleTimeout: \"5 minutes\" is not a duration");
        assertThat(error("limits: {idleTimeout: 300}\n").getMessage()).contains("has no unit: write e.g. 300s");
        assertThat(error("limits: {maxRequestBytes: 12}\n").getMessage())
                .contains("limits.maxRequestBytes: must be between");
        assertThat(error("limits: {maxRequestBytes: lots}\n").getMessage()).contains("is not a size");
        assertThat(error("limits: {maxConnections: 0}\n").getMessage())
                .contains("limits.maxConnections: must be between 1");
        assertThat(error("limits: {maxConnections: \"8\"}\n").getMessage()).contains("must be an integer");
        assertThat(error("socket: {mode: 660}\n").getMessage())
                .contains("socket.mode")
                .contains("quoted and octal");
        assertThat(error("socket: {mode: \"0777\"}\n").getMessage()).contains("execute bits");
        assertThat(error("socket: {mode: \"0060\"}\n").getMessage()).contains("read and write");
        assertThat(error("socket: {group: nosuchgroup}\n").getMessage())
                .contains("socket.group")
                .contains("does not exist");
        assertThat(error("socket: {path: relative.sock}\n").getMessage()).contains("must be an absolute path");
        assertThat(error("stateDir: [a]\n").getMessage()).contains("stateDir: must be a string");
        assertThat(error("- a\n- b\n").getMessage()).contains("must be a mapping");
        assertThat(error("approvalTimeout: 0s\n").getMessage()).contains("approvalTimeout: must be between");
    }

    @Test
    void errors_yamlSyntaxAndDuplicateKeys() {
        assertThat(error("socket: [\n").getMessage()).contains("not valid YAML").contains("line");
        assertThat(error("stateDir: /a\nstateDir: /b\n").getMessage())
                .contains("not valid YAML")
                .contains("stateDir");
    }

    @Test
    void errors_tokens() {
        assertThat(error("tokens:\n  - name: t\n    module: /nonexistent/lib.so\n    label: x\n")
                        .getMessage())
                .contains("tokens[0].module: /nonexistent/lib.so does not exist");
        assertThat(error("tokens:\n  - name: t\n    module: %s\n".formatted(module))
                        .getMessage())
                .contains("tokens[0]: token 't' needs label, serial or uri");
        assertThat(error("tokens:\n  - name: t\n    module: %s\n    label: x\n    uri: \"pkcs11:token=x\"\n"
                                .formatted(module))
                        .getMessage())
                .contains("tokens[0].uri: give either uri or label/serial");
        assertThat(error("tokens:\n  - name: t\n    module: %s\n    uri: \"pkcs11:token=x?pin-value=1234\"\n"
                                .formatted(module))
                        .getMessage())
                .contains("pin-value")
                .doesNotContain("1234");
        assertThat(error("tokens:\n  - name: t\n    module: %s\n    uri: \"pkcs11:tokn=x\"\n".formatted(module))
                        .getMessage())
                .contains("tokens[0].uri")
                .contains("unknown path attribute 'tokn'");
        assertThat(error("tokens:\n  - name: t\n    module: %s\n    label: x\n    pin: \"123456\"\n".formatted(module))
                        .getMessage())
                .contains("tokens[0].pin")
                .contains("is not a PIN source")
                .contains("never the PIN itself");
        assertThat(error(
                                "tokens:\n  - name: t\n    module: %s\n    label: x\n  - name: t\n    module: %s\n    label: y\n"
                                        .formatted(module, module))
                        .getMessage())
                .contains("tokens[1].name: token name 't' is used twice");
        assertThat(error("tokens:\n  - name: \"bad name\"\n    module: %s\n    label: x\n".formatted(module))
                        .getMessage())
                .contains("tokens[0].name");
    }

    @Test
    void errors_servers() {
        assertThat(error("servers:\n  - url: ftp://x\n").getMessage())
                .contains("servers[0].url")
                .contains("http://");
        assertThat(error("servers:\n  - url: https://u:p@x\n").getMessage()).contains("credentials");
        assertThat(error("servers:\n  - url: https://x\n    caFile: /nonexistent/ca.pem\n")
                        .getMessage())
                .contains("servers[0].caFile: /nonexistent/ca.pem does not exist");
        assertThat(error("servers:\n  - url: https://x\n  - url: https://y\n").getMessage())
                .contains("servers[1].name: is required");
    }

    @Test
    void errors_worldReadableCredentials() throws IOException {
        Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(error("servers:\n  - url: https://x\n    credentialsFile: %s\n".formatted(creds))
                        .getMessage())
                .contains("servers[0].credentialsFile")
                .contains("readable by everyone")
                .contains("chmod 0600");
    }

    @Test
    void errors_policy() {
        assertThat(error("policy:\n  rules:\n    - name: r\n      users: [mallory]\n")
                        .getMessage())
                .contains("policy.rules[0].users[0]: no such user 'mallory'");
        assertThat(error("policy:\n  rules:\n    - name: r\n      uids: [1]\n      operations: [publsh]\n")
                        .getMessage())
                .contains("policy.rules[0].operations[0]: unknown operation 'publsh'")
                .contains("publish");
        assertThat(error("policy:\n  rules:\n    - name: r\n      operations: [add]\n")
                        .getMessage())
                .contains("policy.rules[0]: rule 'r' names no caller");
        assertThat(error(
                                "policy:\n  rules:\n    - name: r\n      uids: [1]\n      effect: deny\n      approval: required\n")
                        .getMessage())
                .contains("policy.rules[0].approval: a deny rule cannot require an approval");
        assertThat(error("policy:\n  rules:\n    - name: r\n      uids: [1]\n      effect: maybe\n")
                        .getMessage())
                .contains("\"maybe\" is not one of allow, deny");
        assertThat(error("policy:\n  rules:\n    - name: r\n      uids: [-1]\n").getMessage())
                .contains("non-negative integer");
        assertThat(error("policy:\n  rules:\n    - name: r\n      uids: [1]\n    - name: r\n      uids: [2]\n")
                        .getMessage())
                .contains("policy.rules[1].name: rule name 'r' is used twice");
        assertThat(error("policy:\n  rules:\n    - name: r\n      uids: [1]\n      guns: [\"a b\"]\n")
                        .getMessage())
                .contains("policy.rules[0].guns[0]");
    }

    @Test
    void load_missingFile_saysSo() {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.yaml"), ACCOUNTS))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("nope.yaml: no such file");
    }

    @Test
    void load_readsFile() throws Exception {
        Path f = Files.writeString(dir.resolve("c.yaml"), "stateDir: /srv/x\n");
        assertThat(ConfigLoader.load(f, ACCOUNTS).stateDir()).isEqualTo(Path.of("/srv/x"));
    }

    @Test
    void policyConfig_emptyRules_isDefaultPolicy() throws ConfigException {
        assertThat(parse("").policy().toPolicy(4242).isDefault()).isTrue();
        assertThat(parse("policy: {rules: [{name: a, uids: [1]}]}\n")
                        .policy()
                        .toPolicy(4242)
                        .rules())
                .extracting(Rule::name)
                .containsExactly("a");
    }

    @Test
    void durationsAndSizes_parse() {
        assertThat(ConfigLoader.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(ConfigLoader.parseDuration("2d")).isEqualTo(Duration.ofDays(2));
        assertThat(ConfigLoader.parseDuration("PT1M")).isEqualTo(Duration.ofMinutes(1));
        assertThat(ConfigLoader.parseSize("512KiB")).isEqualTo(512 * 1024);
        assertThat(ConfigLoader.parseSize("1G")).isEqualTo(1L << 30);
        assertThat(ConfigLoader.parseSize("100")).isEqualTo(100);
        assertThatThrownBy(() -> ConfigLoader.parseSize("1TB")).hasMessageContaining("not a size");
    }

    @Test
    void pinSource_forms() {
        assertThat(TokenPin.parse("file:/run/pin").spec()).isEqualTo("file:/run/pin");
        assertThat(TokenPin.parse("file:/run/pin").findSource()).isPresent();
        assertThatThrownBy(() -> TokenPin.parse("file:pin")).hasMessageContaining("absolute");
        assertThatThrownBy(() -> TokenPin.parse("env:1X")).hasMessageContaining("not an environment variable name");
        assertThatThrownBy(() -> TokenPin.parse("credential:../x")).hasMessageContaining("not a credential name");
        assertThat(Set.of(
                        TokenPin.parse("prompt").toString(),
                        TokenPin.parse("env:X").toString()))
                .containsExactlyInAnyOrder("prompt", "env:X");
    }

    @Test
    void tokenHolders_usersUidsGroupsGids_andErrors() throws ConfigException {
        DaemonConfig c = parse(
                ("tokens:\n  - name: root-1\n    module: %s\n    label: a\n    holders: {users: [alice], uids: [7],"
                                + " groups: [releng], gids: [8]}\n  - name: online\n    module: %s\n    label: b\n")
                        .formatted(module, module));
        TokenHolders h = c.tokens().get(0).holders();
        assertThat(h.uids()).containsExactlyInAnyOrder(1002L, 7L);
        assertThat(h.gids()).containsExactlyInAnyOrder(992L, 8L);
        assertThat(h.includes(new dev.custody.daemon.policy.Subject(5, Set.of(992L))))
                .isTrue();
        assertThat(h.includes(new dev.custody.daemon.policy.Subject(1001, Set.of(1001L))))
                .isFalse();
        assertThat(c.tokens().get(1).holders()).isEqualTo(TokenHolders.NONE);
        assertThat(c.tokens().get(1).holders().any()).isFalse();
        String base = "tokens:\n  - name: t\n    module: %s\n    label: x\n    holders: ".formatted(module);
        assertThat(error(base + "{}\n").getMessage()).contains("tokens[0].holders: names nobody");
        assertThat(error(base + "{users: [mallory]}\n").getMessage())
                .contains("tokens[0].holders.users[0]: no such user 'mallory'");
        assertThat(error(base + "{people: [alice]}\n").getMessage())
                .contains("tokens[0].holders.people: unknown field");
        assertThat(error(base + "[alice]\n").getMessage()).contains("tokens[0].holders: must be a mapping");
    }

    @Test
    void yubikeyProfile_serialIdentity_managementKeySources() throws ConfigException {
        DaemonConfig c = parse("""
        tokens:
          - name: yk-1
            profile: yubikey
            module: %1$s
            serial: 12345678
            managementKey: credential:yk-mgm
          - name: yk-2
            profile: yubikey
            module: %1$s
            serial: "87654321"
            managementKey: default
          - name: yk-3
            profile: yubikey
            module: %1$s
            serial: "5"
          - name: soft
            module: %1$s
            label: x
        """.formatted(module));
        TokenConfig yk1 = c.findToken("yk-1").orElseThrow();
        assertThat(yk1.isYubikey()).isTrue();
        assertThat(yk1.serial()).isEqualTo("12345678");
        assertThat(yk1.selector().serial()).isEqualTo("12345678");
        assertThat(yk1.managementKey().spec()).isEqualTo("credential:yk-mgm");
        assertThat(yk1.managementKey().isWellKnownDefault()).isFalse();
        assertThat(c.findToken("yk-2").orElseThrow().managementKey().isWellKnownDefault())
                .isTrue();
        assertThat(c.findToken("yk-3").orElseThrow().findManagementKey()).isEmpty();
        assertThat(c.findToken("soft").orElseThrow().profile()).isEqualTo(TokenConfig.Profile.PKCS11);
        assertThat(c.findToken("soft").orElseThrow().isYubikey()).isFalse();

        // module omitted: Debian's ykcs11
        String noModule = "tokens:\n  - name: yk\n    profile: yubikey\n    serial: \"1\"\n";
        if (Files.isRegularFile(dev.custody.pkcs11.yubikey.YubikeyProfile.DEFAULT_MODULE)) {
            assertThat(parse(noModule).tokens().get(0).module())
                    .isEqualTo(dev.custody.pkcs11.yubikey.YubikeyProfile.DEFAULT_MODULE);
        } else {
            assertThat(error(noModule).getMessage())
                    .contains("tokens[0].module")
                    .contains("apt install ykcs11");
        }
    }

    @Test
    void errors_yubikeyProfile() {
        String yk = "tokens:\n  - name: yk\n    profile: yubikey\n    module: %s\n".formatted(module);
        assertThat(error(yk).getMessage()).contains("tokens[0].serial: is required for profile: yubikey");
        assertThat(error(yk + "    serial: abc\n").getMessage())
                .contains("tokens[0].serial")
                .contains("not a YubiKey serial");
        assertThat(error(yk + "    serial: \"1\"\n    label: x\n").getMessage())
                .contains("tokens[0].label")
                .contains("by its serial only");
        assertThat(error(yk.replace("yubikey", "yubico") + "    serial: \"1\"\n")
                        .getMessage())
                .contains("tokens[0].profile")
                .contains("pkcs11, yubikey");
        // a literal management key is refused like a literal PIN, and not echoed
        String key = "0102030405060708010203040506070801020304050607aa";
        assertThat(error(yk + "    serial: \"1\"\n    managementKey: \"" + key + "\"\n")
                        .getMessage())
                .contains("tokens[0].managementKey")
                .contains("never the key itself")
                .doesNotContain(key);
        assertThat(error(yk + "    serial: \"1\"\n    managementKey: 123456789012345678901234\n")
                        .getMessage())
                .contains("tokens[0].managementKey")
                .contains("never the key itself")
                .doesNotContain("1234567890");
        assertThat(error(yk + "    serial: \"1\"\n    managementKey: file:mgm\n")
                        .getMessage())
                .contains("must be absolute");
        assertThat(error("tokens:\n  - name: t\n    module: %s\n    label: x\n    managementKey: default\n"
                                .formatted(module))
                        .getMessage())
                .contains("tokens[0].managementKey")
                .contains("only a token with profile: yubikey");
    }
}
