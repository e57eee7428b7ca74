package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Notices custodyd sends during a command, as the CLI shows them without a terminal (CI, pipes). */
class NoticePrinterTest {
  @TempDir Path dir;
  private FakeDaemon daemon;

  @BeforeEach
  void start() throws IOException {
    daemon = new FakeDaemon(dir.resolve("custody.sock"));
  }

  @AfterEach
  void stop() throws IOException {
    daemon.close();
  }

  @Test
  void publish_touchNotice_printedToStderrOnce_otherKindsSilent() {
    daemon.on("repo.publish", "{\"gun\":\"example.com/app\",\"roles\":{\"root\":1},\"targets\":0}")
        .noticesBefore("repo.publish",
            "{\"kind\":\"touch\",\"token\":\"yk1\",\"serial\":\"10000001\",\"slot\":\"9c\","
                + "\"message\":\"touch the YubiKey with serial 10000001\"}",
            "{\"kind\":\"touch.done\",\"serial\":\"10000001\"}",
            "{\"kind\":\"kind.from.a.newer.daemon\",\"message\":\"not for this CLI\"}");
    CliRun r = CliRun.against(daemon, "", "publish", "example.com/app");
    assertThat(r.status()).isZero();
    assertThat(r.err().lines()).containsExactly("custody: touch the YubiKey with serial 10000001");
    assertThat(r.out()).contains("example.com/app").doesNotContain("touch");
  }

  @Test
  void touchNotice_withoutMessage_namesTheSerial() {
    daemon.on("repo.publish", "{\"gun\":\"example.com/app\",\"roles\":{},\"targets\":0}")
        .noticesBefore("repo.publish", "{\"kind\":\"touch\",\"serial\":\"42\"}");
    CliRun r = CliRun.against(daemon, "", "publish", "example.com/app");
    assertThat(r.status()).isZero();
    assertThat(r.err()).isEqualTo("custody: touch the YubiKey with serial 42" + System.lineSeparator());
  }
}
