package dev.custody.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthChallengeTest {

    @Test
    void parse_dockerRegistryBearerChallenge_keepsCommasInQuotedScope() {
        List<AuthChallenge> c = AuthChallenge.parse(
                List.of("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                        + "scope=\"repository:samalba/my-app:pull,push\""));

        assertThat(c)
                .containsExactly(new AuthChallenge(
                        "bearer",
                        Map.of(
                                "realm", "https://auth.docker.io/token",
                                "service", "registry.docker.io",
                                "scope", "repository:samalba/my-app:pull,push")));
    }

    @Test
    void parse_twoChallengesInOneHeader_splitAtSecondScheme() {
        List<AuthChallenge> c =
                AuthChallenge.parse(List.of("Basic realm=\"notary\", BEARER realm=\"https://a/t\", service=x"));

        assertThat(c).extracting(AuthChallenge::scheme).containsExactly("basic", "bearer");
        assertThat(c.get(1).params())
                .containsExactlyInAnyOrderEntriesOf(Map.of("realm", "https://a/t", "service", "x"));
    }

    @Test
    void parse_escapedQuoteAndUpperCaseNames_unescapedAndLowerCased() {
        List<AuthChallenge> c = AuthChallenge.parse(List.of("Bearer Realm=\"a\\\"b\"", "Basic"));

        assertThat(c)
                .containsExactly(
                        new AuthChallenge("bearer", Map.of("realm", "a\"b")), new AuthChallenge("basic", Map.of()));
    }

    @Test
    void parse_garbage_yieldsNoUsableChallenge() {
        assertThat(AuthChallenge.parse(List.of("", ",,,", "=\"x\"")))
                .allSatisfy(c -> assertThat(c.param("realm")).isEmpty());
    }
}
