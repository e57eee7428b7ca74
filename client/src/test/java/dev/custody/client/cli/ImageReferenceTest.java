package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageReferenceTest {
    @Test
    void hubShortName_mapsToLibrary() {
        ImageReference r = ImageReference.parse("alpine:3.6");
        assertThat(r.gun()).isEqualTo("docker.io/library/alpine");
        assertThat(r.tag()).isEqualTo("3.6");
        assertThat(r.apiHost()).isEqualTo("registry-1.docker.io");
    }

    @Test
    void hubUserRepo() {
        assertThat(ImageReference.parse("jeff/app").gun()).isEqualTo("docker.io/jeff/app");
        assertThat(ImageReference.parse("docker.io/jeff/app:1").gun()).isEqualTo("docker.io/jeff/app");
        assertThat(ImageReference.parse("index.docker.io/library/alpine").gun()).isEqualTo("docker.io/library/alpine");
    }

    @Test
    void ownRegistry_withPort() {
        ImageReference r = ImageReference.parse("registry.example.com/admin/demo:1");
        assertThat(r.gun()).isEqualTo("registry.example.com/admin/demo");
        assertThat(r.nameAsWritten()).isEqualTo("registry.example.com/admin/demo");
        ImageReference l = ImageReference.parse("localhost:5000/app");
        assertThat(l.gun()).isEqualTo("localhost:5000/app");
        assertThat(l.tag()).isNull();
    }

    @Test
    void invalid() {
        assertThatThrownBy(() -> ImageReference.parse("Registry.example.com/Admin/demo"))
                .isInstanceOf(Failure.UsageException.class);
        assertThatThrownBy(() -> ImageReference.parse("alpine@sha256:" + "a".repeat(64)))
                .hasMessageContaining("not digests");
        assertThatThrownBy(() -> ImageReference.parse("alpine:bad/tag")).isInstanceOf(Failure.UsageException.class);
    }
}
