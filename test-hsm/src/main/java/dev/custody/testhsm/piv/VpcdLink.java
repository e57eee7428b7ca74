package dev.custody.testhsm.piv;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;

/**
 * Connects a {@link PivCard} to vsmartcard's {@code vpcd} reader driver, as a TCP client of the port
 * vpcd listens on (one port per reader slot).
 *
 * <p>Wire format (vsmartcard {@code vpcd.c}): each message is a 2-byte big-endian length and the
 * payload. A 1-byte payload from vpcd is a control code: 0x00 power off, 0x01 power on, 0x02 reset,
 * 0x04 "send the ATR" (answered with the ATR). Anything longer is a command APDU, answered with the
 * response APDU. vpcd reads the card's answer with {@code MSG_WAITALL}, so a frame may be written
 * in one piece.
 *
 * <p>Latency: vpcd sends power-on and the first APDU back to back and waits for the card's answer,
 * so without care each such pair costs a delayed ACK (40 ms on Linux). The card sets TCP_NODELAY,
 * writes each frame with a single write, and re-arms TCP_QUICKACK before every read (Linux clears
 * it after it fires; {@link ExtendedSocketOptions#TCP_QUICKACK} is the JDK's way to set it). Where
 * the option is not supported the card still works, only slower.
 *
 * <p>Call sequence: {@link #connect} (retries until vpcd listens) → {@link #awaitPowerOn} →
 * {@link #close()} (the reader sees the card removed). One thread per link serves the card.
 */
final class VpcdLink implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VpcdLink.class.getName());
    private static final int CTRL_OFF = 0x00;
    private static final int CTRL_ON = 0x01;
    private static final int CTRL_RESET = 0x02;
    private static final int CTRL_ATR = 0x04;

    private final PivCard card;
    private final Socket socket;
    private final Thread thread;
    private final boolean quickAck;
    private final CountDownLatch poweredOn = new CountDownLatch(1);
    private volatile boolean closed;
    private volatile IOException failure;

    private VpcdLink(PivCard card, Socket socket) throws IOException {
        this.card = card;
        this.socket = socket;
        socket.setTcpNoDelay(true);
        this.quickAck = socket.supportedOptions().contains(ExtendedSocketOptions.TCP_QUICKACK);
        this.thread = new Thread(this::serve, "vpcd-card-" + card.serial() + "-port-" + socket.getPort());
        thread.setDaemon(true);
    }

    /**
     * Connects the card to vpcd on {@code host:port}, retrying while nothing listens there yet.
     *
     * @throws IOException if vpcd does not accept the connection within {@code timeout}
     */
    static VpcdLink connect(PivCard card, String host, int port, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(host, port), (int) Math.max(1, timeout.toMillis()));
                VpcdLink link = new VpcdLink(card, s);
                link.thread.start();
                return link;
            } catch (ConnectException e) {
                s.close();
                if (System.nanoTime() > deadline) {
                    throw new IOException("vpcd does not listen on " + host + ":" + port + " after " + timeout, e);
                }
                sleep(50);
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
        }
    }

    /** Waits until the reader powered the card on and read its ATR: pcscd now sees a card. */
    void awaitPowerOn(Duration timeout) throws IOException {
        try {
            if (!poweredOn.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                IOException f = failure;
                throw new IOException(
                        "the reader did not power card " + card.serial() + " on within " + timeout
                                + (f == null ? "" : " (" + f.getMessage() + ")"),
                        f);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for the reader", e);
        }
    }

    boolean isConnected() {
        return !closed && thread.isAlive();
    }

    boolean quickAckSupported() {
        return quickAck;
    }

    private void serve() {
        boolean on = false;
        try (InputStream raw = socket.getInputStream();
                OutputStream out = socket.getOutputStream()) {
            DataInputStream in = new DataInputStream(raw);
            while (!closed) {
                armQuickAck();
                int length;
                try {
                    length = in.readUnsignedShort();
                } catch (EOFException e) {
                    return; // vpcd closed the connection (pcscd stopped)
                }
                byte[] msg = in.readNBytes(length);
                if (msg.length != length) {
                    return;
                }
                if (length == 1) {
                    LOG.log(System.Logger.Level.TRACE, "card {0}: vpcd control {1}", card.serial(), msg[0]);
                    switch (msg[0] & 0xFF) {
                        case CTRL_OFF -> {
                            card.reset();
                            on = false;
                        }
                        case CTRL_ON -> {
                            card.reset();
                            on = true;
                        }
                        case CTRL_RESET -> card.reset();
                        case CTRL_ATR -> {
                            send(out, card.atr());
                            if (on) {
                                poweredOn.countDown();
                            }
                        }
                        default -> LOG.log(System.Logger.Level.WARNING, "vpcd sent unknown control code {0}", msg[0]);
                    }
                } else {
                    send(out, card.transmit(msg));
                }
            }
        } catch (SocketException e) {
            if (!closed) {
                failure = e;
            }
        } catch (IOException e) {
            failure = e;
        }
    }

    private void armQuickAck() {
        if (quickAck) {
            try {
                socket.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
            } catch (IOException e) {
                // only a latency optimisation
            }
        }
    }

    private static void send(OutputStream out, byte[] payload) throws IOException {
        byte[] frame = new byte[payload.length + 2];
        frame[0] = (byte) (payload.length >> 8);
        frame[1] = (byte) payload.length;
        System.arraycopy(payload, 0, frame, 2, payload.length);
        out.write(frame);
        out.flush();
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Disconnects: for the reader, the card was pulled out. */
    @Override
    public void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
