package dev.custody.daemon.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.protocol.BoundedLineReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/** A test client that sends raw bytes and reads raw response lines. */
public final class RawConnection implements Closeable {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final AFUNIXSocket socket;
    private final OutputStream out;
    private final BoundedLineReader in;

    public RawConnection(Path socketPath) throws IOException {
        socket = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socketPath));
        socket.setSoTimeout(15_000);
        out = socket.getOutputStream();
        in = new BoundedLineReader(socket.getInputStream(), 16 << 20);
    }

    public RawConnection send(String text) throws IOException {
        return send(text.getBytes(StandardCharsets.UTF_8));
    }

    public RawConnection send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** The next response line parsed as JSON, or null at end of stream. */
    public JsonNode read() throws IOException {
        byte[] line = in.readLine();
        return line == null ? null : MAPPER.readTree(line);
    }

    /** Sends one line and reads one response. */
    public JsonNode call(String line) throws IOException {
        send(line + "\n");
        return read();
    }

    /** Whether the daemon closed the connection (reads EOF). */
    public boolean closedByPeer() throws IOException {
        try {
            return in.readLine() == null;
        } catch (java.io.EOFException e) {
            return true;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    public AFUNIXSocket socket() {
        return socket;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
