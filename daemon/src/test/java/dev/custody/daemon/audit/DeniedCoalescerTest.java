package dev.custody.daemon.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeniedCoalescerTest {
    @TempDir
    Path dir;

    @Test
    void admit_floodOfOneCaller_firstInFull_restOneCountedLine() throws Exception {
        try (AuditLog log = AuditLog.open(dir.resolve("audit.log"), Clock.systemUTC())) {
            DeniedCoalescer c = new DeniedCoalescer(log, Clock.systemUTC(), Duration.ofHours(1));
            assertThat(c.admit(1000, 1000, 42, "sign.raw"))
                    .as("the first denial of an interval is written in full")
                    .isTrue();
            for (int i = 0; i < 9_999; i++) {
                assertThat(c.admit(1000, 1000, 42, i % 2 == 0 ? "sign.raw" : "key.list"))
                        .isFalse();
            }
            assertThat(c.admit(2000, 2000, 7, "sign.raw"))
                    .as("another caller has its own interval")
                    .isTrue();
            assertThat(log.head().seq())
                    .as("nothing written for the counted ones yet")
                    .isZero();
            c.close(); // a stop writes what is pending
            List<AuditEntry> lines = log.tail(10);
            assertThat(lines).hasSize(1);
            AuditRecord r = lines.get(0).record();
            assertThat(r.method()).isEqualTo(DeniedCoalescer.METHOD);
            assertThat(r.uid()).isEqualTo(1000L);
            assertThat(r.result()).isEqualTo("POLICY_DENIED");
            assertThat(r.details().path("count").asLong()).isEqualTo(9_999);
            assertThat(r.details().path("methods").toString())
                    .contains("sign.raw")
                    .contains("key.list");
            assertThat(log.verify().intact()).isTrue();
        }
    }

    @Test
    void admit_afterTheInterval_writesTheCountAndStartsAgain() throws Exception {
        try (AuditLog log = AuditLog.open(dir.resolve("audit.log"), Clock.systemUTC())) {
            DeniedCoalescer c = new DeniedCoalescer(log, Clock.systemUTC(), Duration.ofMillis(200));
            assertThat(c.admit(1000, 1000, 42, "sign.raw")).isTrue();
            assertThat(c.admit(1000, 1000, 42, "sign.raw")).isFalse();
            assertThat(c.admit(1000, 1000, 42, "sign.raw")).isFalse();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (log.head().seq() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(50); // the flusher writes the interval's count without further traffic
            }
            assertThat(log.tail(1).get(0).record().details().path("count").asLong())
                    .isEqualTo(2);
            assertThat(c.admit(1000, 1000, 42, "sign.raw"))
                    .as("a new interval: in full again")
                    .isTrue();
            c.close();
            assertThat(log.head().seq()).isEqualTo(1);
        }
    }
}
