package dev.custody.testhsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SignBenchTest {
    private static final Duration LIMIT = Duration.ofSeconds(90);

    @TempDir
    Path tmp;

    private SoftHsm.Token token;

    @BeforeEach
    void setUp() throws IOException {
        token = SoftHsm.forThisProcess()
                .createToken("sb-" + UUID.randomUUID().toString().substring(0, 8));
    }

    @AfterEach
    void deleteToken() throws IOException {
        // the token directory lives as long as target/: keep it from growing run after run
        SoftHsm.forThisProcess().deleteToken(token.label());
    }

    @ParameterizedTest(name = "{0} thread(s)")
    @ValueSource(ints = {1, 2})
    void run_printsAPositiveRate(int threads) {
        SignBench.Result r = assertTimeoutPreemptively(
                LIMIT,
                () -> SignBench.run(
                        SoftHsm.MODULE,
                        token.label(),
                        threads,
                        1,
                        token.userPin().toCharArray()));
        assertThat(r.threads()).isEqualTo(threads);
        assertThat(r.seconds()).isEqualTo(1);
        assertThat(r.signs()).isPositive();
        assertThat(r.signsPerSec()).isPositive();
        assertThat(r.elapsedSeconds()).isBetween(0.9, 30.0);
        assertThat(r.key()).isEqualTo("session");
        System.out.printf("signbench SoftHSM2: threads=%d signs_per_sec=%.1f%n", threads, r.signsPerSec());
    }

    @Test
    void run_throughTheShim_everySignatureIsCounted() {
        assertTimeoutPreemptively(LIMIT, () -> {
            FaultShim shim = FaultShim.create(SoftHsm.MODULE, tmp);
            SignBench.Result r = SignBench.run(
                    shim.modulePath(), token.label(), 2, 1, token.userPin().toCharArray());
            // the timed signatures plus the one self-check signature, counted from two threads at once
            assertThat(shim.calls("C_Sign")).isEqualTo(r.signs() + 1);
            assertThat(shim.calls("C_OpenSession")).isEqualTo(3);
            assertThat(shim.calls("C_Login")).isEqualTo(1);
        });
    }

    @Test
    void run_wrongPin_failsWithTheCkrAndDoesNotPrintThePin() {
        String wrong = "98765";
        assertThatThrownBy(() -> assertTimeoutPreemptively(
                        LIMIT, () -> SignBench.run(SoftHsm.MODULE, token.label(), 1, 1, wrong.toCharArray())))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("C_Login failed: CKR_PIN_INCORRECT")
                .hasMessageNotContaining(wrong);
    }

    @Test
    void run_unknownToken_saysSo() {
        assertThatThrownBy(() -> assertTimeoutPreemptively(
                        LIMIT,
                        () -> SignBench.run(
                                SoftHsm.MODULE, "no-such-token", null, 1, 1, "1234".toCharArray(), Map.of())))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no token labelled 'no-such-token'");
    }

    @Test
    void parse_readsTheResultLine() {
        SignBench.Result r =
                SignBench.parse("threads=2 seconds=5 signs=10423 signs_per_sec=2084.3 elapsed_sec=5.001 key=session\n");
        assertThat(r).isEqualTo(new SignBench.Result(2, 5, 10423, 2084.3, 5.001, "session"));
        assertThatThrownBy(() -> SignBench.parse("garbage")).isInstanceOf(IllegalArgumentException.class);
    }
}
