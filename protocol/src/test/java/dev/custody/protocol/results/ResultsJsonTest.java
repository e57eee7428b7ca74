package dev.custody.protocol.results;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The wire form of the result records: field names, order, and which fields are absent or {@code null}. */
class ResultsJsonTest {

    private static String json(Object o) {
        return Results.json(o).toString();
    }

    private static Map<String, Integer> roles(Object... kv) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Integer) kv[i + 1]);
        }
        return m;
    }

    @Test
    void publishedKeepsRoleOrderAndLeavesOutWhatIsNotKnown() {
        Published p = new Published("g", roles("targets", 3, "snapshot", 4, "root", 2), 7, null);
        assertThat(json(p))
                .isEqualTo("{\"gun\":\"g\",\"roles\":{\"targets\":3,\"snapshot\":4,\"root\":2},\"targets\":7}");
        assertThat(json(p.withAttempts(2)))
                .isEqualTo(
                        "{\"gun\":\"g\",\"roles\":{\"targets\":3,\"snapshot\":4,\"root\":2},\"targets\":7,\"attempts\":2}");
        assertThat(json(Published.nothing("g").withAttempts(1)))
                .isEqualTo("{\"gun\":\"g\",\"roles\":{},\"attempts\":1}");
        assertThat(p.versionOf("root")).isEqualTo(2);
        assertThat(p.versionOf("timestamp")).isZero();
    }

    @Test
    void stageResultGrowsWithPublishAndDelegation() {
        StageResult s = new StageResult("g", 2);
        assertThat(json(s)).isEqualTo("{\"gun\":\"g\",\"staged\":2}");
        assertThat(json(s.published(0, Published.nothing("g").withAttempts(1))
                        .forDelegation("targets/a", List.of("k1"))))
                .isEqualTo("{\"gun\":\"g\",\"staged\":0,\"published\":{\"gun\":\"g\",\"roles\":{},\"attempts\":1},"
                        + "\"role\":\"targets/a\",\"keyIds\":[\"k1\"]}");
        assertThat(json(s.forDelegation("targets/a", null)))
                .isEqualTo("{\"gun\":\"g\",\"staged\":2,\"role\":\"targets/a\"}");
    }

    @Test
    void initSendsANullSnapshotKeyWhenTheServerHoldsIt() {
        assertThat(json(new Initialized("g", List.of("r"), "t", null, false)))
                .isEqualTo("{\"gun\":\"g\",\"rootKeyIds\":[\"r\"],\"targetsKeyId\":\"t\",\"snapshotKeyId\":null,"
                        + "\"published\":false}");
        assertThat(json(CeremonyInitPrepared.of(new CeremonyPrepared("g", "init", "b", List.of("s"), 0, 1), "t", null)))
                .isEqualTo("{\"gun\":\"g\",\"operation\":\"init\",\"bundle\":\"b\",\"summary\":[\"s\"],"
                        + "\"baseRootVersion\":0,\"newRootVersion\":1,\"targetsKeyId\":\"t\",\"snapshotKeyId\":null}");
    }

    @Test
    void adoptedLeavesOutAnUnknownLocationAndKey() {
        Map<String, Adopted.RoleKeys> roles = new LinkedHashMap<>();
        roles.put("root", new Adopted.RoleKeys(List.of("a"), List.of(), null));
        roles.put("targets", new Adopted.RoleKeys(List.of("b"), List.of("b"), null).at("tokens"));
        Adopted a = new Adopted(
                "g",
                "s",
                3,
                3,
                roles,
                null,
                Map.of("targets/x", new Adopted.RoleKeys(List.of(), List.of(), null)),
                List.of("n"));
        assertThat(json(a))
                .isEqualTo("{\"gun\":\"g\",\"server\":\"s\",\"rootVersion\":3,\"version\":3,\"roles\":{"
                        + "\"root\":{\"keyIds\":[\"a\"],\"onTokens\":[]},"
                        + "\"targets\":{\"keyIds\":[\"b\"],\"onTokens\":[\"b\"],\"location\":\"tokens\"}},"
                        + "\"delegations\":{\"targets/x\":{\"keyIds\":[],\"onTokens\":[]}},\"notes\":[\"n\"]}");
    }

    @Test
    void ceremonyPublishSaysWhenItWasPublishedBefore() {
        assertThat(json(CeremonyPublished.already("g", 4)))
                .isEqualTo("{\"gun\":\"g\",\"roles\":{},\"rootVersion\":4,\"alreadyPublished\":true}");
        assertThat(json(new CeremonyPublished("g", roles("root", 2, "targets", 3), 2, null)))
                .isEqualTo("{\"gun\":\"g\",\"roles\":{\"root\":2,\"targets\":3},\"rootVersion\":2}");
    }

    @Test
    void ceremonySignListsSkippedKeysAsObjects() {
        assertThat(json(new CeremonySigned(
                        "g",
                        "rotate-root",
                        "b",
                        List.of("s"),
                        List.of("k"),
                        List.of(),
                        List.of(new CeremonySigned.Skipped("x", "absent")),
                        2)))
                .isEqualTo("{\"gun\":\"g\",\"operation\":\"rotate-root\",\"bundle\":\"b\",\"summary\":[\"s\"],"
                        + "\"signedBy\":[\"k\"],\"missing\":[],\"skipped\":[{\"keyId\":\"x\",\"reason\":\"absent\"}],"
                        + "\"trustedRootVersion\":2}");
    }

    @Test
    void keyResultsFlattenTheKeyAndKeepItsNullFields() {
        KeyEntry k = new KeyEntry("id", "targets", null, "ecdsa", "t", null, null, true, null);
        String base = "\"keyId\":\"id\",\"role\":\"targets\",\"algorithm\":\"ecdsa\",\"token\":\"t\","
                + "\"tokenSerial\":null,\"present\":true,\"created\":null";
        assertThat(json(new KeyList(List.of(k)))).isEqualTo("{\"keys\":[{" + base + "}]}");
        assertThat(json(KeyMade.generated(k, "PEM"))).isEqualTo("{" + base + ",\"publicKey\":\"PEM\"}");
        assertThat(json(KeyMade.alreadyImported(k))).isEqualTo("{" + base + ",\"alreadyImported\":true}");
        assertThat(json(KeyMade.imported(k, "note"))).isEqualTo("{" + base + ",\"softwareCopyNote\":\"note\"}");
        assertThat(json(new KeyAdopted(
                        new KeyEntry("id", "root", "g", "ecdsa", "t", "s", "9c", false, "c"), "01", null, "PEM")))
                .isEqualTo("{\"keyId\":\"id\",\"role\":\"root\",\"gun\":\"g\",\"algorithm\":\"ecdsa\",\"token\":\"t\","
                        + "\"tokenSerial\":\"s\",\"slot\":\"9c\",\"present\":false,\"created\":\"c\",\"ckaId\":\"01\","
                        + "\"label\":null,\"publicKey\":\"PEM\"}");
    }

    @Test
    void tokensAndSignatures() {
        assertThat(json(new TokenList(List.of(new TokenReport(
                        "t", null, "s", null, null, false, false, null, "prompt", false, false, false, 0, null, null,
                        null)))))
                .isEqualTo("{\"tokens\":[{\"name\":\"t\",\"label\":null,\"serial\":\"s\",\"manufacturer\":null,"
                        + "\"model\":null,\"present\":false,\"unlocked\":false,\"pinSource\":\"prompt\","
                        + "\"pinCountLow\":false,\"pinFinalTry\":false,\"pinLocked\":false,\"keys\":0}]}");
        assertThat(json(Signatures.one("k", "ecdsa", "c2ln", null)))
                .isEqualTo("{\"keyId\":\"k\",\"method\":\"ecdsa\",\"signature\":\"c2ln\"}");
        assertThat(json(Signatures.batch("k", "eddsa", "s", List.of("a", "b"))))
                .isEqualTo("{\"keyId\":\"k\",\"method\":\"eddsa\",\"tokenSerial\":\"s\",\"signatures\":[\"a\",\"b\"]}");
        assertThat(json(new KeyRemoved("k", "t", null))).isEqualTo("{\"keyId\":\"k\",\"token\":\"t\"}");
        assertThat(json(new ScanResult(
                        "t",
                        null,
                        List.of(new ScanResult.Found(
                                "k", "01", null, "ecdsa", true, false, true, false, null, null, null, "PEM")))))
                .isEqualTo("{\"token\":\"t\",\"keys\":[{\"keyId\":\"k\",\"ckaId\":\"01\",\"label\":null,"
                        + "\"algorithm\":\"ecdsa\",\"sensitive\":true,\"extractable\":false,\"adoptable\":true,"
                        + "\"known\":false,\"publicKey\":\"PEM\"}]}");
    }
}
