package dev.custody.daemon.repo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The changelist file, read and rewritten change by change (streamed) by {@link RepoState}. */
class RepoStateChangelistTest {
    private static final String SHA256 = "ab".repeat(32);

    @TempDir
    Path dir;

    private static Change target(String name) throws Exception {
        return Change.target(null, name, 3L, SHA256, null, null);
    }

    @Test
    void stage_numbersInOrder_andReadsBackEveryField() throws Exception {
        RepoState st = new RepoState(dir, "example.com/app");
        assertThat(st.changes()).isEmpty();
        assertThat(st.stage(List.of(target("a"), target("b")))).isEqualTo(2);
        assertThat(st.stage(List.of(Change.removeTarget("targets/releases", "c").stagedBy(1000))))
                .isEqualTo(3);

        List<Change> all = st.changes();
        assertThat(all).extracting(Change::seq).containsExactly(1L, 2L, 3L);
        assertThat(all).extracting(Change::path).containsExactly("a", "b", "c");
        assertThat(all.get(0).content()).hasToString(target("a").content().toString());
        assertThat(all.get(2).scope()).isEqualTo("targets/releases");
        assertThat(all.get(2).action()).isEqualTo("delete");
        assertThat(all.get(2).stagedBy()).isEqualTo(1000L);
        assertThat(all.get(0).stagedBy()).isNull();
    }

    @Test
    void drop_keepsTheRestInOrder_andNeverReusesANumber() throws Exception {
        RepoState st = new RepoState(dir, "example.com/app");
        List<Change> five = new ArrayList<>();
        for (String n : List.of("a", "b", "c", "d", "e")) {
            five.add(target(n));
        }
        st.stage(five);

        assertThat(st.dropChanges(Set.of(2L, 4L))).isEqualTo(2);
        assertThat(st.changes()).extracting(Change::path).containsExactly("a", "c", "e");
        assertThat(st.dropChanges(3L)).isEqualTo(2); // a (1) and c (3)
        assertThat(st.changes()).extracting(Change::seq).containsExactly(5L);
        assertThat(st.dropChanges(Long.MAX_VALUE)).isEqualTo(1);
        assertThat(st.changes()).isEmpty();

        st.stage(List.of(target("f")));
        assertThat(st.changes()).extracting(Change::seq).containsExactly(6L);
    }

    @Test
    void file_isOneObjectWithGunNextSeqAndChanges() throws Exception {
        RepoState st = new RepoState(dir, "example.com/app");
        st.stage(List.of(target("a")));
        JsonNode file = new ObjectMapper().readTree(Files.readAllBytes(st.dir().resolve("changelist.json")));
        assertThat(file.path("gun").asText()).isEqualTo("example.com/app");
        assertThat(file.path("nextSeq").asLong()).isEqualTo(2);
        assertThat(file.path("changes")).hasSize(1);
        assertThat(file.path("changes").get(0).path("path").asText()).isEqualTo("a");
    }

    @Test
    void unknownFieldsAndOrder_areTolerated() throws Exception {
        RepoState st = new RepoState(dir, "example.com/app");
        Files.createDirectories(st.dir());
        String change = target("x").withSeq(7).toJson().toString();
        Files.writeString(
                st.dir().resolve("changelist.json"),
                "{\"changes\":[" + change
                        + "],\"extra\":{\"nested\":[1,{\"nextSeq\":99}]},\"nextSeq\":8,\"gun\":\"example.com/app\"}",
                StandardCharsets.UTF_8);
        assertThat(st.changes()).extracting(Change::seq).containsExactly(7L);
        st.stage(List.of(target("y")));
        assertThat(st.changes()).extracting(Change::seq).containsExactly(7L, 8L);
    }

    @Test
    void notAnObject_readsAsNoChanges() throws Exception {
        RepoState st = new RepoState(dir, "example.com/app");
        Files.createDirectories(st.dir());
        Files.writeString(st.dir().resolve("changelist.json"), "[1,2]", StandardCharsets.UTF_8);
        assertThat(st.changes()).isEmpty();
        assertThat(st.dropChanges(Long.MAX_VALUE)).isZero();
    }
}
