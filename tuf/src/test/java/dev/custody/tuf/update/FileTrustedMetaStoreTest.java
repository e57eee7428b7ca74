package dev.custody.tuf.update;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.custody.tuf.MissingMetadataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileTrustedMetaStoreTest {
    @TempDir
    Path tmp;

    @Test
    void commit_replacesAndRemovesAtomically() throws Exception {
        FileTrustedMetaStore s = new FileTrustedMetaStore(tmp);
        s.commit("example.com/app", Map.of("root", new byte[] {1}, "targets/releases", new byte[] {2}), Set.of());
        assertThat(Files.readAllBytes(tmp.resolve("example.com/app/metadata/targets/releases.json")))
                .containsExactly(2);
        assertThat(s.roles("example.com/app")).containsExactly("root", "targets/releases");
        s.commit("example.com/app", Map.of("root", new byte[] {3}), Set.of("targets/releases"));
        assertThat(s.get("example.com/app", "root")).containsExactly(3);
        assertThat(s.find("example.com/app", "targets/releases")).isEmpty();
        try (Stream<Path> files = Files.walk(tmp)) {
            assertThat(files.filter(p -> p.getFileName().toString().contains(".tmp")))
                    .isEmpty();
        }
        assertThatThrownBy(() -> s.get("example.com/app", "snapshot")).isInstanceOf(MissingMetadataException.class);
        s.delete("example.com/app");
        assertThat(s.roles("example.com/app")).isEmpty();
    }

    @Test
    void commit_refusesPathsOutsideTheStore() {
        FileTrustedMetaStore s = new FileTrustedMetaStore(tmp);
        assertThatThrownBy(() -> s.commit("../etc", Map.of("root", new byte[] {1}), Set.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> s.commit("example.com/app", Map.of("targets/../../x", new byte[] {1}), Set.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
