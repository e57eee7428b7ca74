package dev.custody.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.protocol.Notice;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Notices as the CLI shows them without a terminal (CI, pipes). The notices themselves come from a
 * real custodyd and an emulated YubiKey in client-it's CliYubikeyTest; here, only the wording.
 */
class NoticePrinterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final StringWriter err = new StringWriter();
    private final NoticePrinter printer = new NoticePrinter(new Terminal(
            new PrintWriter(new StringWriter()),
            new PrintWriter(err),
            new ByteArrayOutputStream(),
            new ByteArrayInputStream(new byte[0]),
            Map.of(),
            Optional.empty()));

    private static Notice notice(String params) throws Exception {
        var p = JSON.readTree(params);
        return new Notice(p.get("kind").asText(), p);
    }

    @Test
    void touchNotice_printedToStderrOnce_otherKindsSilent() throws Exception {
        printer.accept(notice("{\"kind\":\"touch\",\"token\":\"yk1\",\"serial\":\"10000001\",\"slot\":\"9c\","
                + "\"message\":\"touch the YubiKey with serial 10000001\"}"));
        printer.accept(notice("{\"kind\":\"touch.done\",\"serial\":\"10000001\"}"));
        printer.accept(notice("{\"kind\":\"kind.from.a.newer.daemon\",\"message\":\"not for this CLI\"}"));
        assertThat(err.toString().lines()).containsExactly("custody: touch the YubiKey with serial 10000001");
    }

    @Test
    void touchNotice_withoutMessage_namesTheSerial() throws Exception {
        printer.accept(notice("{\"kind\":\"touch\",\"serial\":\"42\"}"));
        assertThat(err.toString()).isEqualTo("custody: touch the YubiKey with serial 42" + System.lineSeparator());
    }
}
