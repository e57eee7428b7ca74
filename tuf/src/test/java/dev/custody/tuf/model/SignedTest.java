package dev.custody.tuf.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.tuf.MalformedMetadataException;
import dev.custody.tuf.WrongTypeException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SignedTest {
    private static final String TARGETS = "{\"signed\":{\"_type\":\"Targets\",\"custom_top\":{\"x\":[1,2]},"
            + "\"delegations\":{\"keys\":{},\"roles\":[{\"keyids\":[],\"name\":\"targets/a\",\"path_hash_prefixes\":[\"ab\"],"
            + "\"threshold\":1,\"weird\":true}]},\"expires\":\"2030-01-02T03:04:05.5+01:00\","
            + "\"targets\":{\"f\":{\"custom\":null,\"hashes\":{\"sha256\":\"AAAA\"},\"length\":4,\"other\":\"y\"}},"
            + "\"version\":7},\"signatures\":[{\"keyid\":\"k\",\"method\":\"ECDSA\",\"sig\":\"AQI=\",\"extra\":1}]}";

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void parse_unknownFieldsSurviveRoundTrip() throws Exception {
        Signed<Targets> s = Signed.parse(b(TARGETS), "targets", MetaType.TARGETS);
        assertThat(s.signed().extra()).containsKey("custom_top");
        assertThat(s.signed().targets().get("f").extra()).containsKey("other");
        assertThat(s.signed().targets().get("f").customData()).isPresent();
        assertThat(s.signed().delegations().roles().get(0).pathHashPrefixes()).containsExactly("ab");
        assertThat(s.signed().delegations().roles().get(0).paths()).isNull();
        assertThat(s.signed().expires())
                .isEqualTo(OffsetDateTime.of(2030, 1, 2, 3, 4, 5, 500_000_000, ZoneOffset.ofHours(1)));
        assertThat(s.signatures().get(0).method()).isEqualTo("ecdsa");
        assertThat(dev.custody.tuf.canonical.CanonicalJson.encode(s.signed().toJson()))
                .isEqualTo(s.canonical());
    }

    @Test
    void parse_wrongType() {
        assertThatThrownBy(() -> Signed.parse(b(TARGETS), "snapshot", MetaType.SNAPSHOT))
                .isInstanceOfSatisfying(WrongTypeException.class, e -> {
                    assertThat(e.expectedType()).isEqualTo("Snapshot");
                    assertThat(e.foundType()).isEqualTo("Targets");
                });
    }

    @Test
    void parse_missingVersion() {
        assertThatThrownBy(() -> Signed.parse(b(TARGETS.replace(",\"version\":7", "")), "targets", MetaType.TARGETS))
                .isInstanceOf(MalformedMetadataException.class)
                .hasMessageContaining("version");
    }

    @Test
    void versionOf_readsSignedVersionPastNestedObjects() throws Exception {
        // "version" inside targets/delegations must not be taken for signed.version
        String nested = TARGETS.replace("\"length\":4,", "\"length\":4,\"version\":99,");
        assertThat(Signed.versionOf(b(nested), "targets")).isEqualTo(7);
        assertThat(Signed.versionOf(b(nested), "targets"))
                .isEqualTo(Signed.parse(b(nested), "targets", MetaType.TARGETS).version());
        // signatures first, as another writer may order them
        String sigsFirst = "{\"signatures\":[{\"version\":5}],\"signed\":{\"_type\":\"Targets\",\"version\":3}}";
        assertThat(Signed.versionOf(b(sigsFirst), "targets")).isEqualTo(3);
    }

    @Test
    void versionOf_refusesWhatHasNoVersion() {
        assertThatThrownBy(() -> Signed.versionOf(b(TARGETS.replace(",\"version\":7", "")), "targets"))
                .isInstanceOf(MalformedMetadataException.class)
                .hasMessageContaining("signed.version");
        assertThatThrownBy(() -> Signed.versionOf(b(TARGETS.replace("\"version\":7", "\"version\":\"7\"")), "targets"))
                .isInstanceOf(MalformedMetadataException.class);
        assertThatThrownBy(() -> Signed.versionOf(b(TARGETS.replace("\"version\":7", "\"version\":-1")), "targets"))
                .isInstanceOf(MalformedMetadataException.class);
        assertThatThrownBy(() -> Signed.versionOf(b("{\"signed\":{\"version\":"), "targets"))
                .isInstanceOf(MalformedMetadataException.class)
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> Signed.versionOf(b("[1]"), "targets")).isInstanceOf(MalformedMetadataException.class);
    }

    @Test
    void parse_unpaddedBase64Refused() {
        assertThatThrownBy(() -> Signed.parse(b(TARGETS.replace("AQI=", "AQI")), "targets", MetaType.TARGETS))
                .isInstanceOf(MalformedMetadataException.class)
                .hasMessageContaining("base64");
    }

    @Test
    void parse_delegationNotChildRefused() {
        assertThatThrownBy(() -> Signed.parse(b(TARGETS), "targets/b", MetaType.TARGETS))
                .isInstanceOf(MalformedMetadataException.class)
                .hasMessageContaining("delegation role targets/a invalid");
    }

    @Test
    void toBytes_escapesLikeGoJsonMarshal() throws Exception {
        Targets t = new Targets(
                1,
                OffsetDateTime.of(2030, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC),
                Map.of("a<b>&c\u2028", FileMeta.of(new byte[] {1})),
                Delegations.EMPTY,
                Map.of());
        Signed<Targets> s = Signed.unsigned("targets", t).plusSignature(new Signature("id", "ecdsa", new byte[] {1}));
        String file = new String(s.toBytes(), StandardCharsets.UTF_8);
        assertThat(file)
                .contains("\"a\\u003cb\\u003e\\u0026c\\u2028\"")
                .startsWith("{\"signed\":{\"_type\":\"Targets\"")
                .endsWith(",\"signatures\":[{\"keyid\":\"id\",\"method\":\"ecdsa\",\"sig\":\"AQ==\"}]}");
        assertThat(new String(s.canonical(), StandardCharsets.UTF_8)).contains("\"a<b>&c\u2028\"");
        // and it parses back to the same canonical bytes
        assertThat(Signed.parse(s.toBytes(), "targets", MetaType.TARGETS).canonical())
                .isEqualTo(s.canonical());
    }

    @Test
    void goTime_formatsLikeRfc3339Nano() {
        assertThat(GoTime.format(OffsetDateTime.of(2029, 11, 22, 13, 37, 33, 36_987_900, ZoneOffset.UTC)))
                .isEqualTo("2029-11-22T13:37:33.0369879Z");
        assertThat(GoTime.format(OffsetDateTime.of(2029, 11, 22, 13, 37, 33, 0, ZoneOffset.ofHoursMinutes(-5, -30))))
                .isEqualTo("2029-11-22T13:37:33-05:30");
        assertThatThrownBy(() -> GoTime.parse("2029-11-22T13:37Z")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void delegatedRole_matching() {
        DelegatedRole r = new DelegatedRole("targets/a", List.of(), 1, List.of("release/"), null, Map.of());
        assertThat(r.allows("release/1")).isTrue();
        assertThat(r.allows("other")).isFalse();
        assertThat(new DelegatedRole("targets/a", List.of(), 1, List.of(""), null, Map.of()).allows("x"))
                .isTrue();
        assertThat(DelegatedRole.isDelegationName("targets/Releases")).isFalse();
        assertThat(DelegatedRole.isDelegationName("targets/a/../b")).isFalse();
        assertThat(DelegatedRole.isDelegationName("targets/releases/qa")).isTrue();
    }
}
