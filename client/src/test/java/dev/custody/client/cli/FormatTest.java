package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.custody.client.api.CustodyApi;
import dev.custody.protocol.DelegationInfo;
import dev.custody.protocol.DelegationList;
import dev.custody.protocol.KeyInfo;
import dev.custody.protocol.TargetInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tables as notary prints them, and docker trust inspect's JSON and --pretty output from the seed documents. */
class FormatTest {
    private static KeyInfo key(String role, String gun, String id) {
        return new KeyInfo(id, role, gun, "ecdsa", "yubikey-1", "42", true, null, null, null, null, null);
    }

    @Test
    void keyList_matchesNotary() {
        List<KeyInfo> keys = List.of(
                key("targets", "example.com/app", "b191c1834f87a2ba9a6631dcab375ce593617d2dba71361e8939de6f2dbc2b70"),
                key("root", null, "1fce6c75b3049fd74648d3f952b0f68beb6babca3e212abc8bf8094645890d1b"),
                key("snapshot", "example.com/app", "0cee522c5b55c72c5f46baa39f0d428c064b77a0f3a4e44804bb661014fe2bd6"));
        assertThat(KeyCommands.table(keys)).isEqualTo(NotaryOutputs.KEY_LIST);
    }

    @Test
    void keyList_empty_andLongGunShortenedLikeNotary() {
        assertThat(KeyCommands.table(List.of())).isEqualTo("\nNo signing keys found.\n\n");
        String t = KeyCommands.table(List.of(key("targets", "registry.example.com/admin/demo", "c8")));
        assertThat(t).contains("targets    ...example.com/admin/demo    c8");
    }

    @Test
    void delegationList_matchesNotary() {
        DelegationList d = new DelegationList(
                "example.com/app",
                List.of(new DelegationInfo(
                        "targets/releases",
                        1,
                        List.of("7a46ce3eac7f0ed14bc60b8f3580bc71e0dd3593268acc76b680db5033572e34"),
                        List.of(""))));
        assertThat(DelegationCommands.table(d)).isEqualTo(NotaryOutputs.DELEGATION_LIST);
    }

    @Test
    void list_empty_matchesNotary() {
        assertThat(RepoCommands.targetsTable(new dev.custody.protocol.TargetList("g", List.of())))
                .isEqualTo("\nNo targets present in this repository.\n\n");
    }

    @Test
    void daemonStatus_table_fromTheReplyTree() throws Exception {
        var reply = CustodyApi.mapper().readTree("""
        {"version":"0.1.0","pid":4242,"startedAt":"2026-01-01T00:00:00Z","uptimeSeconds":93784,"socketActivated":true,
         "tokens":[{"name":"yubikey-1","present":true,"unlocked":true,"unlockedUntil":"2026-01-01T01:00:00Z",
                    "pinCountLow":true,"keys":3,"warnings":["default management key"]},
                   {"name":"hsm","present":false,"pinLocked":true,"keys":0}],
         "pending":2,
         "repositories":[{"gun":"example.com/app","staged":1},{"gun":"example.com/db","staged":0,"journal":"j-7"}],
         "pendingOperations":[{"id":"j-7","type":"publish","gun":"example.com/db","startedAt":"2026-01-01T00:10:00Z",
                               "steps":2}],
         "methods":["status"],"fromANewerDaemon":{"x":1}}
        """);
        assertThat(DaemonCommands.render(reply, "/run/custody/custody.sock")).isEqualTo("""
        custodyd 0.1.0 (pid 4242) on /run/custody/custody.sock, up 1d2h, socket-activated

        Tokens:
        NAME         PRESENT    STATE                                                  KEYS
        ----         -------    -----                                                  ----
        yubikey-1    yes        unlocked until 2026-01-01T01:00:00Z (PIN count low)    3
        hsm          no         PIN locked                                             0

        warning: default management key

        Waiting for approval: 2 (custody pending)

        Repositories:
        GUN                STAGED    UNFINISHED
        ---                ------    ----------
        example.com/app    1
        example.com/db     0         j-7

        Unfinished operations:
        ID     TYPE       GUN               STARTED                 LAST STEP
        --     ----       ---               -------                 ---------
        j-7    publish    example.com/db    2026-01-01T00:10:00Z
        """);
        // a daemon without the extensions' fields: the first line alone
        assertThat(DaemonCommands.render(
                        CustodyApi.mapper().readTree("{\"version\":\"0.1.0\",\"pid\":1,\"uptimeSeconds\":5}"), "s"))
                .isEqualTo("custodyd 0.1.0 (pid 1) on s, up 5s\n");
    }

    @Test
    void status_empty_matchesNotary() {
        assertThat(RepoCommands.changesTable(new dev.custody.protocol.RepoStatus("example.com/x", List.of())))
                .isEqualTo("No unpublished changes for example.com/x\n");
    }

    // Seed 002: docker trust inspect --pretty registry.example.com/admin/demo:1 after trust sign by jeff, with the
    // column widths of docker CLI 23+ (minwidth 10; the seed page's older docker padded to 20).
    private static final String SIGNED_PRETTY = """

      Signatures for registry.example.com/admin/demo:1

      SIGNED TAG   DIGEST                                                             SIGNERS
      1            3d2e482b82608d153a374df3357c0291589a61cc194ec4a9ca2381073a17f58e   jeff

      List of signers and their keys for registry.example.com/admin/demo:1

      SIGNER    KEYS
      jeff      8ae710e3ba82

      Administrative keys for registry.example.com/admin/demo:1

        Repository Key:\t10b5e94c916a0977471cc08fa56c1a5679819b2005ba6a257aa78ce76d3a1e27
        Root Key:\t84ca6e4416416d78c4597e754f38517bea95ab427e5f95871f90d460573071fc
      """;

    private static final String DIGEST = "3d2e482b82608d153a374df3357c0291589a61cc194ec4a9ca2381073a17f58e";
    private static final String JEFF = "8ae710e3ba82a01ab9c1a4c2b8d2b2e4f71e0c1b8a7e0f3b4a1c2d3e4f5a6b7c";

    private static TrustView signedView() {
        List<TargetInfo> targets = List.of(
                new TargetInfo("1", DIGEST, 528, "targets/releases"), new TargetInfo("1", DIGEST, 528, "targets/jeff"));
        List<DelegationInfo> delegations = List.of(
                new DelegationInfo("targets/releases", 1, List.of(JEFF), List.of("")),
                new DelegationInfo("targets/jeff", 1, List.of(JEFF), List.of("")));
        return TrustView.of(
                "registry.example.com/admin/demo:1",
                "1",
                targets,
                delegations,
                List.of("84ca6e4416416d78c4597e754f38517bea95ab427e5f95871f90d460573071fc"),
                List.of("10b5e94c916a0977471cc08fa56c1a5679819b2005ba6a257aa78ce76d3a1e27"));
    }

    @Test
    void trustInspectPretty_signedTag_matchesSeed() {
        assertThat(signedView().pretty()).isEqualTo(SIGNED_PRETTY);
    }

    // Seed 000: two signers, no tags yet.
    @Test
    void trustInspectPretty_noSignatures_twoSigners_matchesSeed() {
        String ben = "afa404703b25" + "0".repeat(52);
        String jeff = "1091060d7bfd" + "0".repeat(52);
        TrustView v = TrustView.of(
                "registry.example.com/admin/demo",
                null,
                List.of(),
                List.of(
                        new DelegationInfo("targets/releases", 1, List.of(ben, jeff), List.of("")),
                        new DelegationInfo("targets/jeff", 1, List.of(jeff), List.of("")),
                        new DelegationInfo("targets/ben", 1, List.of(ben), List.of(""))),
                List.of("64d147e59e44870311dd2d80b9f7840039115ef3dfa5008127d769a5f657a5d7"),
                List.of("b0014f8e4863df2d028095b74efcb05d872c3591de0af06652944e310d96598d"));
        assertThat(v.pretty()).isEqualTo("""

        No signatures for registry.example.com/admin/demo


        List of signers and their keys for registry.example.com/admin/demo

        SIGNER    KEYS
        ben       afa404703b25
        jeff      1091060d7bfd

        Administrative keys for registry.example.com/admin/demo

          Repository Key:\tb0014f8e4863df2d028095b74efcb05d872c3591de0af06652944e310d96598d
          Root Key:\t64d147e59e44870311dd2d80b9f7840039115ef3dfa5008127d769a5f657a5d7
        """);
    }

    @Test
    void trustInspectJson_hasDockersShapeAndIndent() {
        ArrayNode a =
                JsonNodeFactory.instance.arrayNode().add(CustodyApi.mapper().valueToTree(signedView()));
        assertThat(JsonText.indent(a, "    ")).isEqualTo("""
        [
            {
                "Name": "registry.example.com/admin/demo:1",
                "SignedTags": [
                    {
                        "SignedTag": "1",
                        "Digest": "%s",
                        "Signers": [
                            "jeff"
                        ]
                    }
                ],
                "Signers": [
                    {
                        "Name": "jeff",
                        "Keys": [
                            {
                                "ID": "%s"
                            }
                        ]
                    }
                ],
                "AdministrativeKeys": [
                    {
                        "Name": "Root",
                        "Keys": [
                            {
                                "ID": "84ca6e4416416d78c4597e754f38517bea95ab427e5f95871f90d460573071fc"
                            }
                        ]
                    },
                    {
                        "Name": "Repository",
                        "Keys": [
                            {
                                "ID": "10b5e94c916a0977471cc08fa56c1a5679819b2005ba6a257aa78ce76d3a1e27"
                            }
                        ]
                    }
                ]
            }
        ]""".formatted(DIGEST, JEFF));
    }

    @Test
    void trustInspect_repoAdminTag_andEmptySignersIsEmptyArray() {
        TrustView v = TrustView.of(
                "alpine:latest",
                null,
                List.of(new TargetInfo("latest", DIGEST, 1, "targets")),
                List.of(),
                List.of("r"),
                List.of("t"));
        assertThat(v.signedTags().get(0).signers()).containsExactly("Repo Admin");
        assertThat(v.pretty()).contains("latest       " + DIGEST + "   (Repo Admin)\n");
        assertThat(JsonText.indent(CustodyApi.mapper().valueToTree(v), "    ")).contains("\"Signers\": [],");
    }

    // Issue 14: a tag in targets/releases, targets/jeff and targets/ben is signed by "ben, jeff" (docker's rules)
    @Test
    void trustInspect_tagInTwoDelegations_listsEverySigner_inDockersOrders() {
        String ben = "b".repeat(64);
        String jeff = "a".repeat(64);
        String other = "c".repeat(64);
        List<TargetInfo> walk = List.of(
                new TargetInfo("v10", DIGEST, 1, "targets/releases"),
                new TargetInfo("v9", DIGEST, 1, "targets/releases"),
                new TargetInfo("v10", DIGEST, 1, "targets/jeff"),
                new TargetInfo("v9", DIGEST, 1, "targets/jeff"),
                new TargetInfo("v10", DIGEST, 1, "targets/ben"),
                new TargetInfo("v9", DIGEST, 1, "targets/ben"),
                new TargetInfo("unreleased", other, 1, "targets/ben"));
        List<DelegationInfo> delegations = List.of(
                new DelegationInfo("targets/releases", 1, List.of(jeff, ben), List.of("")),
                new DelegationInfo("targets/jeff", 1, List.of(jeff), List.of("")),
                new DelegationInfo("targets/ben", 1, List.of(ben), List.of("")),
                new DelegationInfo("targets/ci10", 1, List.of(), List.of("")),
                new DelegationInfo("targets/ci9", 1, List.of(jeff, ben), List.of("")));
        TrustView v = TrustView.of("r", null, walk, delegations, List.of("r2", "r1"), List.of("t"));
        assertThat(v.signedTags()).extracting(TrustView.SignedTag::tag).containsExactly("v9", "v10");
        assertThat(v.signedTags().get(0).signers()).containsExactly("jeff", "ben"); // walk order in JSON
        assertThat(v.signers()).extracting(TrustView.Signer::name).containsExactly("jeff", "ci9", "ci10", "ben");
        assertThat(v.signers().get(1).keys()).extracting(TrustView.Key::id).containsExactly(jeff, ben);
        assertThat(v.administrativeKeys().get(0).keys())
                .extracting(TrustView.Key::id)
                .containsExactly("r2", "r1");
        String json = JsonText.indent(CustodyApi.mapper().valueToTree(v), "    ");
        assertThat(json).contains("\"Name\": \"ci10\"\n        },").doesNotContain("unreleased");
        assertThat(v.pretty())
                .contains("v9           " + DIGEST + "   ben, jeff\nv10          " + DIGEST + "   ben, jeff\n")
                .contains("SIGNER    KEYS\nben       bbbbbbbbbbbb\nci9       aaaaaaaaaaaa, bbbbbbbbbbbb\nci10")
                .contains("\njeff      aaaaaaaaaaaa\n")
                .contains("  Root Key:\tr1, r2\n");
    }

    @Test
    void naturalOrder_numbersByValue_zerosBreakTies_prefixFirst() {
        List<String> s =
                new java.util.ArrayList<>(List.of("v10", "v9", "v09", "v1a", "v1", "a", "ab1", "abc1", "", "10", "9"));
        s.sort(NaturalOrder::compare);
        assertThat(s).containsExactly("", "9", "10", "a", "ab1", "abc1", "v1", "v1a", "v9", "v09", "v10");
    }

    @Test
    void table_padsLikeTabwriter() {
        assertThat(new Table("A", "BB").row("xxxxx", "y").render()).isEqualTo("A        BB\n-        --\nxxxxx    y\n");
    }

    @Test
    void jsonText_escapesLikeGo() {
        assertThat(JsonText.indent(JsonNodeFactory.instance.textNode("<a&b>\"\n"), "  "))
                .isEqualTo("\"\\u003ca\\u0026b\\u003e\\\"\\n\"");
    }

    @Test
    void auditTail_readsTheDaemonsFlatRecords() throws Exception {
        var e = CustodyApi.mapper()
                .readTree("{\"seq\":4,\"time\":\"t\",\"prev\":\"p\",\"hash\":\"h\","
                        + "\"method\":\"repo.publish\",\"uid\":1000,\"gid\":1000,\"pid\":9,\"gun\":\"g\",\"role\":\"targets\","
                        + "\"keyId\":\"k1\",\"result\":\"ok\"}");
        assertThat(AuditCommands.table(List.of(e)))
                .isEqualTo("SEQ    TIME    METHOD          UID     GUN    ROLE       KEY ID    RESULT\n"
                        + "---    ----    ------          ---     ---    ----       ------    ------\n"
                        + "4      t       repo.publish    1000    g      targets    k1        ok\n");
    }

    @Test
    void list_toleratesFieldsANewerDaemonAdds() throws Exception {
        dev.custody.protocol.TargetList r = CustodyApi.mapper()
                .readValue(
                        "{\"gun\":\"example.com/app\",\"verifiedAt\":"
                                + "\"x\",\"targets\":[{\"name\":\"v1\",\"sha256\":\"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
                                + "\",\"length\":6,\"role\":\"targets\",\"custom\":{}}]}",
                        dev.custody.protocol.TargetList.class);
        assertThat(RepoCommands.targetsTable(r)).isEqualTo(NotaryOutputs.LIST);
    }
}
