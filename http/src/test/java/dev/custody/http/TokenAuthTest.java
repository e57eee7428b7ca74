package dev.custody.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where {@link TokenAuth} sends credentials, and what it accepts back. */
class TokenAuthTest {
    private static final byte[] TOKEN = "{\"token\":\"T0K\"}".getBytes(StandardCharsets.UTF_8);
    private final List<String> fetched = new ArrayList<>();

    private TokenAuth.TokenFetcher answering(byte[] body) {
        return (uri, authorization) -> {
            fetched.add(uri + " " + authorization);
            return body;
        };
    }

    private static List<String> bearer(String realm) {
        return List.of("Bearer realm=\"" + realm + "\",service=\"reg\"");
    }

    @Test
    void answer_plainHttpRealmOnAnotherHost_withCredentials_refusedAndNothingFetched() {
        TokenAuth a = new TokenAuth(URI.create("http://127.0.0.1:5000/v2/"), "ci", "pw", null);
        assertThatThrownBy(() -> a.answer(bearer("http://auth.example:80/token"), null, answering(TOKEN)))
                .isInstanceOfSatisfying(
                        AuthRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(AuthRefusedException.Reason.CREDENTIALS_WITHHELD))
                .hasMessageContaining("plain http to a host other than 127.0.0.1");
        assertThat(fetched).isEmpty();
        assertThat(a.authorization()).isNull();
    }

    @Test
    void answer_httpsRealmElsewhere_orHttpOnTheSameHost_getsTheCredentials() throws Exception {
        TokenAuth a = new TokenAuth(URI.create("http://127.0.0.1:5000/v2/"), "ci", "pw", null);
        assertThat(a.answer(bearer("https://auth.example/token"), "repository:app:pull", answering(TOKEN)))
                .isTrue();
        assertThat(a.authorization()).isEqualTo("Bearer T0K");
        assertThat(new TokenAuth(URI.create("http://127.0.0.1:5000/v2/"), "ci", "pw", null)
                        .answer(bearer("http://127.0.0.1:5001/token"), null, answering(TOKEN)))
                .isTrue();
        assertThat(fetched)
                .containsExactly(
                        "https://auth.example/token?service=reg&scope=repository%3Aapp%3Apull&account=ci Basic Y2k6cHc=",
                        "http://127.0.0.1:5001/token?service=reg&account=ci Basic Y2k6cHc=");
    }

    @Test
    void answer_anonymous_plainHttpRealmElsewhere_isAsked_withoutCredentials() throws Exception {
        TokenAuth a = new TokenAuth(URI.create("http://127.0.0.1:5000/v2/"), null, null, null);
        assertThat(a.answer(bearer("http://auth.example/token"), null, answering(TOKEN)))
                .isTrue();
        assertThat(fetched).containsExactly("http://auth.example/token?service=reg null");
    }

    @Test
    void answer_badRealm_badToken_basicWithoutCredentials() throws Exception {
        TokenAuth a = new TokenAuth(URI.create("https://notary.example/"), "ci", "pw", null);
        assertThatThrownBy(() -> a.answer(bearer("file:///etc/passwd"), null, answering(TOKEN)))
                .isInstanceOfSatisfying(
                        AuthRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(AuthRefusedException.Reason.BAD_REALM));
        assertThatThrownBy(() -> a.answer(
                        bearer("https://notary.example/t"),
                        null,
                        answering("{\"token\":\"a b\"}".getBytes(StandardCharsets.UTF_8))))
                .isInstanceOfSatisfying(
                        AuthRefusedException.class,
                        e -> assertThat(e.reason()).isEqualTo(AuthRefusedException.Reason.BAD_TOKEN));
        TokenAuth anonymous = new TokenAuth(URI.create("https://notary.example/"), null, null, null);
        assertThat(anonymous.answer(List.of("Basic realm=\"x\""), null, answering(TOKEN)))
                .isFalse();
        assertThat(a.answer(List.of("Basic realm=\"x\""), null, answering(TOKEN)))
                .isTrue();
        assertThat(a.authorization()).isEqualTo("Basic Y2k6cHc=");
    }
}
