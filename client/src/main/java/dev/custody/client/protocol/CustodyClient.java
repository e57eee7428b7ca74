package dev.custody.client.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.custody.protocol.BoundedLineReader;
import dev.custody.protocol.BusyException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.DaemonUnavailableException;
import dev.custody.protocol.Methods;
import dev.custody.protocol.Notice;
import dev.custody.protocol.PingResult;
import dev.custody.protocol.Protocol;
import dev.custody.protocol.RpcRequest;
import dev.custody.protocol.RpcResponse;
import dev.custody.protocol.StatusResult;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * A small blocking client for custodyd's socket: one connection, one request at a time.
 *
 * <p>Call sequence: {@link #connect(Path)} → {@link #call(String, Object, Class)} (any number of
 * times) → {@link #close()}. Calls are serialised on the connection; use one client per thread for
 * parallel requests. A daemon error arrives as the {@link CustodyException} subclass for its code;
 * a broken connection or a protocol violation is an {@link IOException}. Notices the daemon sends
 * before a response ({@link Notice}, e.g. "touch the YubiKey with serial N") go to the
 * {@link #onNotice} listener.
 */
public final class CustodyClient implements Closeable {
    /** Largest response line accepted (responses carry listings of many targets). */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 256 << 20;

    /** How long a call retries BUSY by default; {@code $CUSTODY_BUSY_WAIT} (seconds, 0 = never) overrides it. */
    public static final Duration DEFAULT_BUSY_WAIT = Duration.ofSeconds(120);

    static final String BUSY_WAIT_ENV = "CUSTODY_BUSY_WAIT";

    /** Opens a fresh connection to the same socket (after the daemon refused one with BUSY and closed it). */
    @FunctionalInterface
    private interface Reconnect {
        CustodyClient open() throws DaemonUnavailableException;
    }

    /**
     * Connects again as the first connection was made: {@link #connectUntimed} when {@code timeout} is
     * null, else {@link #connect(Path, Duration)} (a class, not a lambda: nothing to link at start-up).
     */
    private record Reopen(Path socketPath, Duration timeout) implements Reconnect {
        @Override
        public CustodyClient open() throws DaemonUnavailableException {
            return timeout == null ? connectUntimed(socketPath) : connect(socketPath, timeout);
        }
    }

    private final Path socketPath;
    private Closeable socket; // these three are replaced by a reconnect after a connection-level BUSY
    private OutputStream out;
    private BoundedLineReader in;
    private final int maxResponseBytes;
    private Reconnect reconnect;
    private long nextId = 1;
    private volatile Consumer<Notice> noticeListener;
    private volatile Duration busyWait = busyWaitFromEnvironment();
    private volatile Consumer<BusyException> busyListener;

    /**
     * The strict mapper, made on first use: plain requests and success responses are read and written
     * without it ({@link CoreJson}), so a short command does not pay for making one.
     */
    private static final class Strict {
        static final ObjectMapper MAPPER = Protocol.newMapper();
    }

    private CustodyClient(Path socketPath, AFUNIXSocket socket, int maxResponseBytes) throws IOException {
        this(socketPath, socket, socket.getInputStream(), socket.getOutputStream(), maxResponseBytes);
    }

    private CustodyClient(Path socketPath, Closeable socket, InputStream in, OutputStream out, int maxResponseBytes) {
        this.socketPath = socketPath;
        this.socket = socket;
        this.out = out;
        this.in = new BoundedLineReader(in, maxResponseBytes);
        this.maxResponseBytes = maxResponseBytes;
    }

    /**
     * Connects to the socket at {@code socketPath} with the JDK's own Unix domain sockets (no native
     * library to load, so a short-lived command starts faster); responses are awaited without time
     * limit. The connection behaves as {@link #connect(Path)}'s.
     */
    public static CustodyClient connectUntimed(Path socketPath) throws DaemonUnavailableException {
        Objects.requireNonNull(socketPath, "socketPath");
        requireSocketFile(socketPath);
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socketPath));
            CustodyClient c = new CustodyClient(
                    socketPath,
                    ch,
                    Channels.newInputStream(ch),
                    Channels.newOutputStream(ch),
                    DEFAULT_MAX_RESPONSE_BYTES);
            c.reconnect = new Reopen(socketPath, null);
            return c;
        } catch (IOException | UnsupportedOperationException e) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // the connect already failed
                }
            }
            IOException io = e instanceof IOException x ? x : new IOException(e.getMessage(), e);
            throw new DaemonUnavailableException(socketPath, reasonOf(io), explainConnectFailure(socketPath, io), io);
        }
    }

    private static void requireSocketFile(Path socketPath) throws DaemonUnavailableException {
        if (!Files.exists(socketPath, LinkOption.NOFOLLOW_LINKS) && !Files.exists(socketPath)) {
            throw new DaemonUnavailableException(
                    socketPath,
                    DaemonUnavailableException.Reason.NO_SOCKET,
                    "no custodyd socket at " + socketPath
                            + ": is custodyd running? (start it with `systemctl start custodyd.socket`,"
                            + " or point --socket / $" + Protocol.SOCKET_ENV + " at its socket)",
                    null);
        }
    }

    /** Connects to {@code $CUSTODY_SOCKET}, or the default socket. */
    public static CustodyClient connect() throws DaemonUnavailableException {
        return connect(Protocol.socketFromEnvironment(System.getenv()));
    }

    /** Connects to the socket at {@code socketPath}; responses are awaited without time limit. */
    public static CustodyClient connect(Path socketPath) throws DaemonUnavailableException {
        return connect(socketPath, Duration.ZERO);
    }

    /**
     * Connects to the socket at {@code socketPath}.
     *
     * @param responseTimeout how long one call waits for its response; {@link Duration#ZERO} waits
     *     forever (operations that wait for an approval can take minutes)
     */
    public static CustodyClient connect(Path socketPath, Duration responseTimeout) throws DaemonUnavailableException {
        Objects.requireNonNull(socketPath, "socketPath");
        requireSocketFile(socketPath);
        AFUNIXSocket s = null;
        try {
            s = AFUNIXSocket.newInstance();
            s.connect(AFUNIXSocketAddress.of(socketPath));
            s.setSoTimeout(Math.toIntExact(Math.min(Integer.MAX_VALUE, responseTimeout.toMillis())));
            CustodyClient c = new CustodyClient(socketPath, s, DEFAULT_MAX_RESPONSE_BYTES);
            c.reconnect = new Reopen(socketPath, responseTimeout);
            return c;
        } catch (IOException e) {
            closeQuietly(s);
            throw new DaemonUnavailableException(socketPath, reasonOf(e), explainConnectFailure(socketPath, e), e);
        }
    }

    /**
     * Why a connect failed: the one place that reads the socket library's words (it reports the errno
     * only as text), so callers tell the cases apart by {@link DaemonUnavailableException#reason()}.
     */
    static DaemonUnavailableException.Reason reasonOf(IOException e) {
        String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
        if (e instanceof java.net.ConnectException || m.contains("refused")) {
            return DaemonUnavailableException.Reason.NOT_RUNNING;
        }
        if (e instanceof java.nio.file.AccessDeniedException
                || m.contains("permission denied")
                || m.contains("access denied")
                || m.contains("not permitted")) {
            return DaemonUnavailableException.Reason.PERMISSION_DENIED;
        }
        return DaemonUnavailableException.Reason.OTHER;
    }

    static String explainConnectFailure(Path socketPath, IOException e) {
        return switch (reasonOf(e)) {
            case NOT_RUNNING ->
                "custodyd is not running: " + socketPath + " exists but nobody accepts connections on it"
                        + " (start custodyd, e.g. `systemctl start custodyd.socket`)";
            case PERMISSION_DENIED ->
                "permission denied on " + socketPath
                        + ": your user must be in the socket's group (usually `custody`); log in again after being added";
            default -> "cannot connect to custodyd at " + socketPath + ": " + e.getMessage();
        };
    }

    /** The socket this client is connected to. */
    public Path socketPath() {
        return socketPath;
    }

    /**
     * How long a call keeps retrying while custodyd answers BUSY (it did nothing: its queue for this
     * uid, or its connections, are full), with backoff from 50 ms to 2 s; {@link Duration#ZERO}: never.
     * Default {@link #DEFAULT_BUSY_WAIT}, or {@code $CUSTODY_BUSY_WAIT} seconds.
     */
    public void retryBusyFor(Duration wait) {
        this.busyWait = Objects.requireNonNull(wait, "wait");
    }

    /** Told once per call when custodyd first answers BUSY and the call starts waiting (e.g. to say so). */
    public void onBusyWait(Consumer<BusyException> listener) {
        this.busyListener = listener;
    }

    /** {@link #DEFAULT_BUSY_WAIT}, or {@code $CUSTODY_BUSY_WAIT} seconds (0..3600). */
    public static Duration busyWaitFromEnvironment() {
        String v = System.getenv(BUSY_WAIT_ENV);
        if (v == null || v.isBlank()) {
            return DEFAULT_BUSY_WAIT;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Math.min(3600, Long.parseLong(v.trim()))));
        } catch (NumberFormatException e) {
            return DEFAULT_BUSY_WAIT;
        }
    }

    /**
     * Calls {@code method} with {@code params} (any Jackson-serialisable object, a JsonNode, or null)
     * and returns the raw result. While custodyd answers BUSY, retries for {@link #retryBusyFor} (BUSY
     * means nothing was done, so a retry cannot do anything twice).
     */
    public synchronized JsonNode call(String method, Object params) throws CustodyException, IOException {
        long deadline = System.nanoTime() + busyWait.toNanos();
        long pause = 50;
        boolean told = false;
        while (true) {
            try {
                return callOnce(method, params);
            } catch (BusyException e) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || busyWait.isZero()) {
                    throw e;
                }
                if (!told) {
                    told = true;
                    Consumer<BusyException> l = busyListener;
                    if (l != null) {
                        l.accept(e);
                    }
                }
                long sleep = Math.min(
                        TimeUnit.NANOSECONDS.toMillis(left) + 1,
                        pause / 2 + ThreadLocalRandom.current().nextLong(pause / 2 + 1));
                try {
                    Thread.sleep(sleep);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pause = Math.min(2_000, pause * 2);
                if (connectionRefused) {
                    reopen();
                }
            }
        }
    }

    /** The daemon answered a connection-level BUSY (id null) and closed the connection. */
    private boolean connectionRefused;

    private void reopen() throws IOException {
        if (reconnect == null) {
            throw new IOException("custodyd closed the connection (BUSY) and this client cannot reconnect");
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed by the daemon
        }
        CustodyClient fresh = reconnect.open();
        socket = fresh.socket;
        out = fresh.out;
        in = fresh.in;
        connectionRefused = false;
    }

    private JsonNode callOnce(String method, Object params) throws CustodyException, IOException {
        Objects.requireNonNull(method, "method");
        long id = nextId++;
        byte[] json;
        if (params == null) {
            json = CoreJson.request(id, method); // what the mapper writes for RpcRequest.of(id, method, null)
        } else {
            JsonNode p = params instanceof JsonNode j ? j : Strict.MAPPER.valueToTree(params);
            json = Strict.MAPPER.writeValueAsBytes(RpcRequest.of(id, method, p));
        }
        // One write, newline included: two writes cost the daemon a second read and two timeout changes.
        byte[] line = java.util.Arrays.copyOf(json, json.length + 1);
        line[json.length] = '\n';
        try {
            out.write(line);
            out.flush();
        } catch (IOException writeFailed) {
            // The daemon may have refused the connection (BUSY, one line, then close) before this request:
            // that line is still there to read.
            JsonNode refused = readRefusal();
            if (refused != null) {
                connectionRefused = true;
                throw CustodyException.fromRpcError(
                        Strict.MAPPER.treeToValue(refused, RpcResponse.class).error());
            }
            throw writeFailed;
        }
        RpcResponse response;
        while (true) {
            byte[] reply;
            try {
                reply = in.readLine();
            } catch (SocketTimeoutException e) {
                throw new SocketTimeoutException("custodyd did not answer '" + method + "' in time");
            } catch (EOFException e) {
                throw new EOFException(
                        "custodyd closed the connection in the middle of a response to '" + method + "'");
            }
            if (reply == null) {
                throw new EOFException("custodyd closed the connection without answering '" + method + "'");
            }
            JsonNode tree = CoreJson.readOrNull(reply);
            try {
                if (tree == null) {
                    tree = Strict.MAPPER.readTree(
                            reply); // not one well-formed JSON value: the mapper says what is wrong
                }
                if (isNotification(tree)) {
                    dispatchNotice(tree);
                    continue; // the response is still to come
                }
                response = plainSuccess(tree);
                if (response == null) {
                    response = Strict.MAPPER.treeToValue(tree, RpcResponse.class);
                }
            } catch (JsonProcessingException | IllegalArgumentException e) {
                throw new IOException("custodyd sent a response that is not JSON-RPC 2.0: " + e.getMessage(), e);
            }
            break;
        }
        if (response.error() != null) {
            // An error with a null id answers a request the daemon could not read (e.g. too large).
            if (!response.id().isNull() && response.id().asLong(-1) != id) {
                throw new IOException("custodyd answered request " + response.id() + " but " + id + " was sent");
            }
            CustodyException e = CustodyException.fromRpcError(response.error());
            connectionRefused = e instanceof BusyException && response.id().isNull();
            throw e;
        }
        if (response.id().asLong(-1) != id || !response.id().isIntegralNumber()) {
            throw new IOException("custodyd answered request " + response.id() + " but " + id + " was sent");
        }
        return response.result();
    }

    /** The error line of a connection custodyd refused at accept (id null), if one can be read; else null. */
    private JsonNode readRefusal() {
        try {
            byte[] reply = in.readLine();
            JsonNode tree = reply == null ? null : Strict.MAPPER.readTree(reply);
            return tree != null && tree.has("error") && tree.path("id").isNull() ? tree : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Sets who is told about notices the daemon sends while a call runs (e.g. "touch the YubiKey with
     * serial N"); null drops them. The listener runs on the calling thread, before the call returns;
     * it should return quickly. Notices of kinds it does not know are its to ignore.
     */
    public void onNotice(Consumer<Notice> listener) {
        this.noticeListener = listener;
    }

    /**
     * The response {@code tree} is when it is a plain success (members {@code result}, {@code id} and a
     * string {@code jsonrpc}, nothing else), made without the mapper; null otherwise: errors and
     * anything unusual are bound (or refused) by the strict mapper.
     */
    private static RpcResponse plainSuccess(JsonNode tree) {
        if (!tree.isObject() || !tree.has("result")) {
            return null;
        }
        for (Iterator<String> names = tree.fieldNames(); names.hasNext(); ) {
            String n = names.next();
            if (!n.equals("result") && !n.equals("id") && !n.equals("jsonrpc")) {
                return null;
            }
        }
        JsonNode version = tree.path("jsonrpc");
        if (!version.isMissingNode() && !version.isNull() && !version.isTextual()) {
            return null;
        }
        return new RpcResponse(version.isTextual() ? version.asText() : null, tree.get("id"), tree.get("result"), null);
    }

    /** A JSON-RPC notification: a {@code method} and no {@code id}. */
    private static boolean isNotification(JsonNode n) {
        return n != null && n.isObject() && n.has("method") && !n.has("id");
    }

    /** Hands a {@code notice} to the listener; other notification methods and malformed notices are skipped. */
    private void dispatchNotice(JsonNode n) {
        Consumer<Notice> l = noticeListener;
        JsonNode params = n.get("params");
        if (l == null
                || !Notice.METHOD.equals(n.get("method").asText())
                || params == null
                || !params.isObject()
                || !params.path("kind").isTextual()) {
            return;
        }
        try {
            l.accept(new Notice(params.get("kind").asText(), params));
        } catch (RuntimeException e) {
            // a failing listener must not cost the response, which is still to be read
        }
    }

    /** Calls {@code method} and binds its result to {@code resultType}. */
    public <T> T call(String method, Object params, Class<T> resultType) throws CustodyException, IOException {
        JsonNode result = call(method, params);
        try {
            return Strict.MAPPER.treeToValue(result, resultType);
        } catch (JsonProcessingException e) {
            throw new IOException(
                    "custodyd's result for '" + method + "' does not fit " + resultType.getSimpleName() + ": "
                            + e.getOriginalMessage(),
                    e);
        }
    }

    /** {@code ping}: checks the daemon answers. */
    public PingResult ping() throws CustodyException, IOException {
        return call(Methods.PING, JsonNodeFactory.instance.objectNode(), PingResult.class);
    }

    /** {@code status}: version, uptime, pid, unfinished operations. */
    public StatusResult status() throws CustodyException, IOException {
        return call(Methods.STATUS, null, StatusResult.class);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private static void closeQuietly(AFUNIXSocket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // nothing to do: the connect already failed
            }
        }
    }
}
