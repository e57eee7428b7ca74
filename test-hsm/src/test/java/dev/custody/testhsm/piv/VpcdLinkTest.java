package dev.custody.testhsm.piv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The vpcd wire protocol against a stand-in for vpcd (a local server socket). No pcscd, no root. */
class VpcdLinkTest {
    private static final Duration LIMIT = Duration.ofSeconds(20);

    private static void frame(OutputStream out, byte[] payload) throws IOException {
        byte[] f = new byte[payload.length + 2];
        f[0] = (byte) (payload.length >> 8);
        f[1] = (byte) payload.length;
        System.arraycopy(payload, 0, f, 2, payload.length);
        out.write(f);
        out.flush();
    }

    private static byte[] read(DataInputStream in) throws IOException {
        int n = in.readUnsignedShort();
        return in.readNBytes(n);
    }

    @Test
    void controlCodesAndApdus_areAnsweredInFrames() {
        assertTimeoutPreemptively(LIMIT, () -> {
            PivCard card = PivCard.builder(42).build();
            try (ServerSocket vpcd = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                try (VpcdLink link = VpcdLink.connect(card, "127.0.0.1", vpcd.getLocalPort(), LIMIT);
                        Socket s = vpcd.accept()) {
                    assertThat(link.quickAckSupported()).isTrue(); // Linux
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    OutputStream out = s.getOutputStream();
                    frame(out, new byte[] {0x04}); // presence poll: ATR
                    assertThat(read(in)).isEqualTo(PivCard.ATR);
                    assertThatThrownBy(() -> link.awaitPowerOn(Duration.ofMillis(100)))
                            .isInstanceOf(IOException.class);
                    frame(out, new byte[] {0x01}); // power on: no answer
                    frame(out, new byte[] {0x04});
                    assertThat(read(in)).isEqualTo(PivCard.ATR);
                    link.awaitPowerOn(Duration.ofSeconds(1));
                    frame(out, HexFormat.of().parseHex("00A4040005A000000308"));
                    assertThat(HexFormat.of().formatHex(read(in))).endsWith("9000");
                    frame(out, HexFormat.of().parseHex("00F8000000"));
                    assertThat(HexFormat.of().formatHex(read(in))).isEqualTo("0000002a9000");
                    frame(out, new byte[] {0x02}); // reset: PIV deselected
                    frame(out, HexFormat.of().parseHex("00F8000000"));
                    assertThat(HexFormat.of().formatHex(read(in))).isEqualTo("6d00");
                    assertThat(link.isConnected()).isTrue();
                }
            }
        });
    }

    @Test
    void closingEitherSide_endsTheLink() {
        assertTimeoutPreemptively(LIMIT, () -> {
            PivCard card = PivCard.builder(43).build();
            try (ServerSocket vpcd = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                VpcdLink link = VpcdLink.connect(card, "127.0.0.1", vpcd.getLocalPort(), LIMIT);
                Socket s = vpcd.accept();
                s.close(); // pcscd went away
                for (int i = 0; i < 100 && link.isConnected(); i++) {
                    Thread.sleep(20);
                }
                assertThat(link.isConnected()).isFalse();
                link.close();

                VpcdLink second = VpcdLink.connect(card, "127.0.0.1", vpcd.getLocalPort(), LIMIT);
                try (Socket s2 = vpcd.accept()) {
                    second.close(); // card pulled out: vpcd reads end of stream
                    assertThat(s2.getInputStream().read()).isEqualTo(-1);
                }
            }
        });
    }

    @Test
    void connect_givesUpWhenNothingListens() {
        assertTimeoutPreemptively(LIMIT, () -> {
            int port;
            try (ServerSocket free = new ServerSocket(0)) {
                port = free.getLocalPort();
            }
            assertThatThrownBy(() ->
                            VpcdLink.connect(PivCard.builder(44).build(), "127.0.0.1", port, Duration.ofMillis(300)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("vpcd does not listen");
        });
    }
}
