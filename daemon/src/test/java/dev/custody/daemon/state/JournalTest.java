package dev.custody.daemon.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalTest {
    private final ObjectMapper mapper = new ObjectMapper();
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private ObjectNode json(String k, Object v) {
        return mapper.createObjectNode().putPOJO(k, v);
    }

    @Test
    void begin_steps_reopen_showsExactlyTheRecordedSteps() throws IOException {
        Journal j = Journal.open(dir, clock);
        String id =
                j.begin("publish", "example.com/app", mapper.createObjectNode().put("targetsVersion", 4));
        j.step(id, "signed-targets", mapper.createObjectNode().put("hash", "ab"));
        j.step(id, "signed-snapshot", mapper.createObjectNode().put("hash", "cd"));

        Journal reopened = Journal.open(dir, clock);
        assertThat(reopened.pending()).hasSize(1);
        PendingOperation op = reopened.pending().get(0);
        assertThat(op.id()).isEqualTo(id);
        assertThat(op.type()).isEqualTo("publish");
        assertThat(op.gun()).isEqualTo("example.com/app");
        assertThat(op.plan().get("targetsVersion").asInt()).isEqualTo(4);
        assertThat(op.startedAt()).isEqualTo(clock.instant());
        assertThat(op.steps())
                .extracting(JournalStep::seq, JournalStep::name)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1, "signed-targets"),
                        org.assertj.core.groups.Tuple.tuple(2, "signed-snapshot"));
        assertThat(op.lastStep())
                .get()
                .extracting(s -> s.data().get("hash").asText())
                .isEqualTo("cd");
        assertThat(op.findStep("signed-targets")).isPresent();

        // a reopened journal continues numbering
        reopened.step(id, "published", mapper.createObjectNode());
        assertThat(Journal.open(dir, clock).findPending(id).orElseThrow().steps())
                .hasSize(3);
    }

    @Test
    void complete_movesOperationToDoneAndOutOfPending() throws IOException {
        Journal j = Journal.open(dir, clock);
        String id = j.begin("rotate-snapshot", "g", null);
        j.step(id, "rotated", mapper.createObjectNode());
        j.complete(id, mapper.createObjectNode().put("version", 5));
        assertThat(j.pending()).isEmpty();
        assertThat(Journal.open(dir, clock).pending()).isEmpty();
        FinishedOperation f = j.findFinished(id).orElseThrow();
        assertThat(f.outcome()).isEqualTo("completed");
        assertThat(f.steps()).isEqualTo(1);
        assertThat(f.detail().get("version").asInt()).isEqualTo(5);
        assertThatThrownBy(() -> j.step(id, "late", null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(id);
    }

    @Test
    void abort_recordsReason() throws IOException {
        Journal j = Journal.open(dir, clock);
        String id = j.begin("publish", "g", null);
        j.abort(id, "server rejected snapshot v3");
        FinishedOperation f = j.findFinished(id).orElseThrow();
        assertThat(f.outcome()).isEqualTo("aborted");
        assertThat(f.detail().get("reason").asText()).isEqualTo("server rejected snapshot v3");
    }

    @Test
    void step_unknownId_isRejected() throws IOException {
        Journal j = Journal.open(dir, clock);
        assertThatThrownBy(() -> j.step("20260101T000000000Z-00000000", "x", null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void open_crashBeforeOpFile_forgetsTheEmptyOperation() throws IOException {
        Journal.open(dir, clock);
        Files.createDirectory(dir.resolve("20261123T100000000Z-deadbeef"));
        Journal j = Journal.open(dir, clock);
        assertThat(j.pending()).isEmpty();
        assertThat(Files.exists(dir.resolve("20261123T100000000Z-deadbeef"))).isFalse();
    }

    @Test
    void open_crashBetweenEndAndMove_finishesTheMove() throws IOException {
        Journal j = Journal.open(dir, clock);
        String id = j.begin("publish", "g", null);
        Files.writeString(
                dir.resolve(id).resolve("end.json"),
                "{\"outcome\":\"completed\",\"detail\":null,\"time\":\"2026-11-23T10:00:01Z\"}");
        Journal reopened = Journal.open(dir, clock);
        assertThat(reopened.pending()).isEmpty();
        assertThat(reopened.findFinished(id))
                .get()
                .extracting(FinishedOperation::outcome)
                .isEqualTo("completed");
    }

    @Test
    void open_leftoverTempFiles_areRemoved() throws IOException {
        Journal j = Journal.open(dir, clock);
        String id = j.begin("publish", "g", null);
        Path tmp = dir.resolve(id).resolve(".step-000001.json.0123456789abcdef.tmp");
        Files.writeString(tmp, "{\"seq\":1,");
        PendingOperation op = Journal.open(dir, clock).findPending(id).orElseThrow();
        assertThat(op.steps()).isEmpty();
        assertThat(Files.exists(tmp)).isFalse();
    }

    @Test
    void open_missingStep_isCorrupt() throws IOException {
        Journal j = Journal.open(dir, clock);
        String id = j.begin("publish", "g", null);
        j.step(id, "a", null);
        j.step(id, "b", null);
        Files.delete(dir.resolve(id).resolve("step-000001.json"));
        assertThatThrownBy(() -> Journal.open(dir, clock))
                .isInstanceOf(JournalCorruptException.class)
                .hasMessageContaining("step-000002.json")
                .hasMessageContaining("steps are missing");
    }

    @Test
    void open_editedStep_isCorrupt() throws IOException {
        Journal j = Journal.open(dir, clock);
        String id = j.begin("publish", "g", null);
        j.step(id, "a", null);
        Files.writeString(dir.resolve(id).resolve("step-000001.json"), "{\"seq\":1,\"name\":");
        assertThatThrownBy(() -> Journal.open(dir, clock))
                .isInstanceOf(JournalCorruptException.class)
                .hasMessageContaining("not valid JSON")
                .satisfies(e -> assertThat(((JournalCorruptException) e)
                                .file()
                                .getFileName()
                                .toString())
                        .isEqualTo("step-000001.json"));
    }

    @Test
    void finished_arePrunedToTheConfiguredCount() throws IOException {
        Journal j = Journal.open(dir, clock, 3);
        String first = null;
        for (int i = 0; i < 5; i++) {
            String id = j.begin("publish", "g", json("i", i));
            if (first == null) {
                first = id;
            }
            j.complete(id, null);
        }
        try (Stream<Path> s = Files.list(dir.resolve("done"))) {
            assertThat(s.count()).isEqualTo(3);
        }
        assertThat(j.findFinished(first)).isEmpty();
    }

    @Test
    void ids_sortInStartOrder_evenWithinOneMillisecondAndAcrossReopen() throws IOException {
        Journal j = Journal.open(dir, clock);
        java.util.List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(j.begin("publish", "g", null));
        }
        Journal reopened = Journal.open(dir, clock);
        ids.add(reopened.begin("publish", "g", null));
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        assertThat(reopened.pending()).extracting(PendingOperation::id).containsExactlyElementsOf(ids);
    }

    @Test
    void pending_isASnapshot() throws IOException {
        Journal j = Journal.open(dir, clock);
        String id = j.begin("publish", "g", mapper.createObjectNode().put("a", 1));
        PendingOperation before = j.findPending(id).orElseThrow();
        j.step(id, "x", null);
        assertThat(before.steps()).isEmpty();
        ((ObjectNode) before.plan()).put("a", 2);
        assertThat(j.findPending(id).orElseThrow().plan().get("a").asInt()).isEqualTo(1);
    }
}
