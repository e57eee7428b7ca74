package dev.custody.daemon.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
    private final ObjectMapper mapper = new ObjectMapper();
    private final Clock clock = Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private Path log() {
        return dir.resolve("audit.log");
    }

    private static AuditRecord signed(int i) {
        return AuditRecord.builder("repo.publish")
                .caller(1001, 1001, 4242)
                .gun("example.com/app")
                .role("targets")
                .keyId("ab" + i)
                .version((long) i)
                .metadataHash("c0ffee" + i)
                .result("ok")
                .rule("ci")
                .build();
    }

    /** Writes {@code n} lines and closes the log (so FILE.head records line n). */
    private void writeLines(int n) throws IOException {
        try (AuditLog a = AuditLog.open(log(), clock)) {
            for (int i = 1; i <= n; i++) {
                a.append(signed(i));
            }
        }
    }

    private List<String> lines() throws IOException {
        return new ArrayList<>(Files.readAllLines(log(), StandardCharsets.UTF_8));
    }

    private void rewrite(List<String> lines) throws IOException {
        Files.write(log(), (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void append_writesChainedLinesWithAllFields() throws IOException {
        try (AuditLog a = AuditLog.open(log(), clock)) {
            AuditEntry e1 = a.append(signed(1));
            AuditEntry e2 = a.append(signed(2));
            assertThat(e1.seq()).isEqualTo(1);
            assertThat(e1.prev()).isEqualTo(AuditLog.GENESIS);
            assertThat(e2.prev()).isEqualTo(e1.hash());
            assertThat(a.head()).isEqualTo(new AuditHead(2, e2.hash()));
        }
        List<String> lines = lines();
        assertThat(lines).hasSize(2);
        assertThat(AuditLog.sha256Hex(lines.get(0).getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(mapper.readTree(lines.get(1)).get("prev").asText());
        JsonNode first = mapper.readTree(lines.get(0));
        assertThat(first.get("time").asText()).isEqualTo("2026-11-23T10:00:00Z");
        assertThat(first.get("uid").asLong()).isEqualTo(1001);
        assertThat(first.get("gid").asLong()).isEqualTo(1001);
        assertThat(first.get("pid").asLong()).isEqualTo(4242);
        assertThat(first.get("method").asText()).isEqualTo("repo.publish");
        assertThat(first.get("gun").asText()).isEqualTo("example.com/app");
        assertThat(first.get("role").asText()).isEqualTo("targets");
        assertThat(first.get("keyId").asText()).isEqualTo("ab1");
        assertThat(first.get("version").asLong()).isEqualTo(1);
        assertThat(first.get("metadataHash").asText()).isEqualTo("c0ffee1");
        assertThat(first.get("result").asText()).isEqualTo("ok");
        assertThat(first.has("message")).as("null fields are left out").isFalse();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(log())))
                .isEqualTo("rw-------");
    }

    @Test
    void verify_untouched_isIntact() throws IOException {
        writeLines(5);
        AuditVerification v = AuditLog.verify(log());
        assertThat(v.intact()).as(v.toString()).isTrue();
        assertThat(v.linesChecked()).isEqualTo(5);
        assertThat(v.firstBrokenLine()).isEmpty();
    }

    @Test
    void verify_editedLine_reportsThatLine() throws IOException {
        writeLines(5);
        List<String> l = lines();
        l.set(2, l.get(2).replace("\"uid\":1001", "\"uid\":1000"));
        rewrite(l);
        AuditVerification v = AuditLog.verify(log());
        assertThat(v.problem()).isEqualTo(AuditVerification.Problem.EDITED);
        assertThat(v.brokenLine()).isEqualTo(3);
        assertThat(v.reason()).contains("line 3 was changed");
    }

    @Test
    void verify_firstLinePrevEdited_isEditedAtLineOne() throws IOException {
        writeLines(2);
        List<String> l = lines();
        l.set(0, l.get(0).replace(AuditLog.GENESIS, "1" + AuditLog.GENESIS.substring(1)));
        rewrite(l);
        AuditVerification v = AuditLog.verify(log(), null);
        assertThat(v.problem()).isEqualTo(AuditVerification.Problem.EDITED);
        assertThat(v.brokenLine()).isEqualTo(1);
    }

    @Test
    void verify_editedToInvalidJson_isMalformed() throws IOException {
        writeLines(4);
        List<String> l = lines();
        l.set(1, l.get(1).substring(0, 20));
        rewrite(l);
        AuditVerification v = AuditLog.verify(log());
        assertThat(v.problem()).isEqualTo(AuditVerification.Problem.MALFORMED);
        assertThat(v.brokenLine()).isEqualTo(2);
    }

    @Test
    void verify_removedLine_reportsWhereTheGapIs() throws IOException {
        writeLines(6);
        List<String> l = lines();
        l.remove(3); // line 4
        rewrite(l);
        AuditVerification v = AuditLog.verify(log());
        assertThat(v.problem()).isEqualTo(AuditVerification.Problem.REMOVED);
        assertThat(v.brokenLine()).isEqualTo(4);
        assertThat(v.reason()).contains("1 line(s) before it were removed");
    }

    @Test
    void verify_removedFirstLine_isRemovedAtLineOne() throws IOException {
        writeLines(3);
        List<String> l = lines();
        l.remove(0);
        rewrite(l);
        AuditVerification v = AuditLog.verify(log());
        assertThat(v.problem()).isEqualTo(AuditVerification.Problem.REMOVED);
        assertThat(v.brokenLine()).isEqualTo(1);
    }

    @Test
    void verify_swappedLines_isReordered() throws IOException {
        writeLines(6);
        List<String> l = lines();
        Collections.swap(l, 2, 3);
        rewrite(l);
        AuditVerification v = AuditLog.verify(log());
        assertThat(v.problem()).isEqualTo(AuditVerification.Problem.REORDERED);
        assertThat(v.brokenLine()).isEqualTo(3);
    }

    @Test
    void verify_duplicatedLine_isReordered() throws IOException {
        writeLines(4);
        List<String> l = lines();
        l.add(2, l.get(1));
        rewrite(l);
        AuditVerification v = AuditLog.verify(log());
        assertThat(v.problem()).isEqualTo(AuditVerification.Problem.REORDERED);
        assertThat(v.brokenLine()).isEqualTo(3);
    }

    @Test
    void verify_incompleteLastLine_isTruncated() throws IOException {
        writeLines(3);
        byte[] all = Files.readAllBytes(log());
        Files.write(log(), java.util.Arrays.copyOf(all, all.length - 10));
        AuditVerification v = AuditLog.verify(log(), null);
        assertThat(v.problem()).isEqualTo(AuditVerification.Problem.TRUNCATED);
        assertThat(v.brokenLine()).isEqualTo(3);
    }

    @Test
    void verify_lastLinesRemoved_isTruncatedAgainstRecordedHead() throws IOException {
        writeLines(5);
        List<String> l = lines();
        rewrite(l.subList(0, 3));
        AuditVerification v = AuditLog.verify(log()); // uses audit.log.head from the clean close
        assertThat(v.problem()).isEqualTo(AuditVerification.Problem.TRUNCATED);
        assertThat(v.brokenLine()).isEqualTo(4);
        assertThat(v.reason()).contains("lines 4..5 were removed");
        // without a known head the shortened chain is self-consistent: that is why the head is kept
        assertThat(AuditLog.verify(log(), null).intact()).isTrue();
    }

    @Test
    void verify_lastLineEdited_isFoundByTheLiveLog() throws IOException {
        try (AuditLog a = AuditLog.open(log(), clock)) {
            for (int i = 1; i <= 3; i++) {
                a.append(signed(i));
            }
            List<String> l = lines();
            l.set(2, l.get(2).replace("\"result\":\"ok\"", "\"result\":\"POLICY_DENIED\""));
            rewrite(l);
            AuditVerification v = a.verify();
            assertThat(v.problem()).isEqualTo(AuditVerification.Problem.EDITED);
            assertThat(v.brokenLine()).isEqualTo(3);
        }
    }

    @Test
    void open_existingLog_continuesTheChain() throws IOException {
        writeLines(3);
        String lastHash = AuditLog.sha256Hex(lines().get(2).getBytes(StandardCharsets.UTF_8));
        try (AuditLog a = AuditLog.open(log(), clock)) {
            assertThat(a.head()).isEqualTo(new AuditHead(3, lastHash));
            AuditEntry e = a.append(signed(4));
            assertThat(e.seq()).isEqualTo(4);
            assertThat(e.prev()).isEqualTo(lastHash);
        }
        assertThat(AuditLog.verify(log()).intact()).isTrue();
    }

    @Test
    void open_halfWrittenLastLine_isRepairedAndTheRepairAudited() throws IOException {
        writeLines(3);
        Files.delete(dir.resolve("audit.log.head")); // as after a crash: no clean close
        byte[] half = "{\"seq\":4,\"time\":\"2026-".getBytes(StandardCharsets.UTF_8);
        Files.write(log(), half, StandardOpenOption.APPEND);
        try (AuditLog a = AuditLog.open(log(), clock)) {
            assertThat(a.head().seq()).isEqualTo(4);
            List<AuditEntry> tail = a.tail(1);
            assertThat(tail.get(0).record().method()).isEqualTo("audit.repair");
            assertThat(tail.get(0).record().details().get("droppedBytes").asInt())
                    .isEqualTo(half.length);
            assertThat(java.util.Base64.getDecoder()
                            .decode(tail.get(0)
                                    .record()
                                    .details()
                                    .get("dropped")
                                    .asText()))
                    .isEqualTo(half);
        }
        AuditVerification v = AuditLog.verify(log());
        assertThat(v.intact()).as(v.toString()).isTrue();
        assertThat(v.linesChecked()).isEqualTo(4);
    }

    @Test
    void open_logShorterThanRecordedHead_isRefused() throws IOException {
        writeLines(4);
        rewrite(lines().subList(0, 2));
        assertThatThrownBy(() -> AuditLog.open(log(), clock))
                .isInstanceOf(AuditLogException.class)
                .hasMessageContaining("ends at line 2")
                .hasMessageContaining("4 lines");
    }

    @Test
    void open_lastLineNotARecord_isRefused() throws IOException {
        writeLines(2);
        Files.write(log(), "garbage\n".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        assertThatThrownBy(() -> AuditLog.open(log(), clock))
                .isInstanceOf(AuditLogException.class)
                .hasMessageContaining("not an audit record");
    }

    @Test
    void open_sameFileTwice_isRefused() throws IOException {
        try (AuditLog a = AuditLog.open(log(), clock)) {
            assertThatThrownBy(() -> AuditLog.open(log(), clock))
                    .isInstanceOf(AuditLogException.class)
                    .hasMessageContaining("already open");
            assertThat(a.head()).as("the first one is unharmed").isEqualTo(AuditHead.EMPTY);
        }
    }

    @Test
    void append_afterClose_isRefused() throws IOException {
        AuditLog a = AuditLog.open(log(), clock);
        a.close();
        assertThatThrownBy(() -> a.append(signed(1)))
                .isInstanceOf(AuditLogException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void append_hugeDetails_areSummarisedToKeepLinesBounded() throws IOException {
        try (AuditLog a = AuditLog.open(log(), clock)) {
            a.append(AuditRecord.builder("repo.add")
                    .result("ok")
                    .details(mapper.createObjectNode().put("targets", "x".repeat(AuditLog.MAX_LINE_BYTES + 10)))
                    .build());
        }
        String line = lines().get(0);
        assertThat(line.length()).isLessThan(AuditLog.MAX_LINE_BYTES);
        assertThat(mapper.readTree(line).get("details").get("omitted").asText()).isEqualTo("too large");
        assertThat(AuditLog.verify(log()).intact()).isTrue();
    }

    @Test
    void append_concurrently_keepsOneIntactChain() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int threads = 8;
            int each = 50;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try (AuditLog a = AuditLog.open(log(), Clock.systemUTC())) {
                List<Future<List<Long>>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    fs.add(pool.submit(() -> {
                        List<Long> seqs = new ArrayList<>();
                        for (int i = 0; i < each; i++) {
                            seqs.add(a.append(signed(i)).seq());
                        }
                        return seqs;
                    }));
                }
                Set<Long> all = new HashSet<>();
                for (Future<List<Long>> f : fs) {
                    all.addAll(f.get());
                }
                assertThat(all).hasSize(threads * each);
                assertThat(a.head().seq()).isEqualTo(threads * each);
                AuditVerification v = a.verify();
                assertThat(v.intact()).as(v.toString()).isTrue();
            } finally {
                pool.shutdownNow();
            }
        });
    }

    @Test
    void append_concurrently_sharesSyncs() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int threads = 8;
            int each = 50;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try (AuditLog a = AuditLog.open(log(), Clock.systemUTC())) {
                java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    fs.add(pool.submit(() -> {
                        start.await();
                        for (int i = 0; i < each; i++) {
                            a.append(signed(i));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) {
                    f.get();
                }
                AuditLog.SyncStats st = a.syncStats();
                assertThat(st.lines()).isEqualTo(threads * each);
                // every append returned after a sync that covered its line, and callers waiting behind a
                // sync share the next one: fewer syncs than lines (each sync takes a disk round trip)
                assertThat(st.syncs()).isPositive().isLessThan(st.lines());
            } finally {
                pool.shutdownNow();
            }
        });
    }

    @Test
    void append_afterReopen_continuesAtTheEndOfTheFile() throws IOException {
        writeLines(3);
        try (AuditLog a = AuditLog.open(log(), clock)) {
            a.append(signed(4));
            a.append(signed(5));
            // one caller at a time: each line has its own sync, and no commit delay (the last sync covered one line)
            assertThat(a.syncStats()).isEqualTo(new AuditLog.SyncStats(2, 2));
        }
        assertThat(lines()).hasSize(5);
        AuditVerification v = AuditLog.verify(log());
        assertThat(v.intact()).as(v.toString()).isTrue();
    }
}
