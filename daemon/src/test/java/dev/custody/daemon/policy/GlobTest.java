package dev.custody.daemon.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GlobTest {
    @Test
    void star_matchesWithinOneSegment() {
        Glob g = Glob.of("registry.example.com/team/*");
        assertThat(g.matches("registry.example.com/team/app")).isTrue();
        assertThat(g.matches("registry.example.com/team/")).isTrue();
        assertThat(g.matches("registry.example.com/team/a/b")).isFalse();
        assertThat(g.matches("registry.example.com/other/app")).isFalse();
        assertThat(g.matches("registryXexample.com/team/app"))
                .as("dots are literal")
                .isFalse();
    }

    @Test
    void doubleStar_matchesAcrossSegments() {
        assertThat(Glob.of("**").matches("a/b/c")).isTrue();
        assertThat(Glob.of("**").matchesEverything()).isTrue();
        assertThat(Glob.of("registry.example.com/**").matches("registry.example.com/team/a/b"))
                .isTrue();
        assertThat(Glob.of("registry.example.com/**").matches("other.example.com/x"))
                .isFalse();
    }

    @Test
    void question_matchesOneCharacterButNotSlash() {
        assertThat(Glob.of("targets/ci?").matches("targets/ci1")).isTrue();
        assertThat(Glob.of("targets/ci?").matches("targets/ci")).isFalse();
        assertThat(Glob.of("a?b").matches("a/b")).isFalse();
    }

    @Test
    void literal_isExact() {
        assertThat(Glob.of("targets").matches("targets")).isTrue();
        assertThat(Glob.of("targets").matches("targets/releases")).isFalse();
        assertThat(Glob.of("targets").matches(null)).isFalse();
        assertThat(Glob.of("a(b)+").matches("a(b)+"))
                .as("regex characters are literal")
                .isTrue();
        assertThat(Glob.of("*").matchesEverything()).isFalse();
    }

    @Test
    void empty_isRejected() {
        assertThatThrownBy(() -> Glob.of("")).isInstanceOf(IllegalArgumentException.class);
    }
}
