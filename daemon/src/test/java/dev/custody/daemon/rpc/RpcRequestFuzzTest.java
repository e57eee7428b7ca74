package dev.custody.daemon.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.custody.daemon.policy.ActionResolver;
import dev.custody.daemon.policy.Operation;
import dev.custody.protocol.BoundedLineReader;
import dev.custody.protocol.ErrorCode;
import dev.custody.protocol.LineTooLongException;
import dev.custody.protocol.PingParams;
import dev.custody.protocol.Protocol;
import dev.custody.protocol.RpcResponse;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The request path of the socket under any bytes (README "Fuzzing"): {@link BoundedLineReader} splits the
 * stream exactly as a model of the framing says (lines of at most {@code maxLineBytes}, one trailing
 * {@code \r} dropped, {@link LineTooLongException} as soon as a line passes the limit, {@link EOFException}
 * for a cut line), whatever the read sizes; every line goes through {@link Dispatcher} (envelope, method,
 * policy action, {@link Params#bind} of every params record the daemon binds) and gets an error response
 * other than INTERNAL, or a result; the response is one line of JSON carrying the request's id. Bound
 * params serialize and bind again to the same tree.
 *
 * <p>Input: byte 0 = the line limit (0: the default 1 MiB, else that many bytes), byte 1 = the largest read
 * size - 1, then the stream. Seeds and kept findings: {@code src/test/resources/dev/custody/daemon/rpc/
 * RpcRequestFuzzTestInputs/}.
 */
class RpcRequestFuzzTest {
    /** The classes whose nested records are the params custodyd binds (Params.bind). */
    private static final List<String> PARAMS_HOLDERS = List.of(
            "dev.custody.daemon.repo.RepoParams",
            "dev.custody.daemon.ceremony.CeremonyParams",
            "dev.custody.daemon.keys.KeyMethods",
            "dev.custody.daemon.BuiltinMethods");

    private static final CallerIdentity CALLER = new CallerIdentity(1000, 1000, 4242, Set.of(1000L));
    private static final ObjectMapper MAPPER = Protocol.newMapper();
    private static final Dispatcher DISPATCHER = new Dispatcher(registry(), DispatchHook.ALLOW_ALL);

    @FuzzTest(maxDuration = "10m")
    void requestLines_anyBytes(byte[] input) throws IOException {
        if (input.length < 2) {
            return;
        }
        int max = input[0] == 0 ? Protocol.DEFAULT_MAX_REQUEST_BYTES : input[0] & 0xff;
        int readSize = (input[1] & 0xff) + 1;
        byte[] stream = Arrays.copyOfRange(input, 2, input.length);
        List<Object> expected = frames(stream, max);
        BoundedLineReader reader = new BoundedLineReader(new ChunkedStream(stream, readSize), max);
        for (Object want : expected) {
            if (want instanceof byte[] line) {
                byte[] got = reader.readLine();
                assertArrayEquals(line, got, "line framing");
                dispatch(got);
            } else if (want == Frame.END) {
                assertEquals(null, reader.readLine(), "end of stream");
            } else {
                try {
                    byte[] got = reader.readLine();
                    fail("expected " + want + ", read a line of " + got.length + " bytes");
                } catch (LineTooLongException e) {
                    assertEquals(Frame.TOO_LONG, want);
                } catch (EOFException e) {
                    assertEquals(Frame.CUT, want);
                }
            }
        }
    }

    private enum Frame {
        END,
        CUT,
        TOO_LONG
    }

    /** What the framing promises for {@code s}: the lines, then END, CUT or TOO_LONG. */
    private static List<Object> frames(byte[] s, int max) {
        List<Object> out = new ArrayList<>();
        int i = 0;
        while (true) {
            if (i == s.length) {
                out.add(Frame.END);
                return out;
            }
            int nl = i;
            while (nl < s.length && s[nl] != '\n') {
                nl++;
            }
            int len = nl - i;
            if (len > max + 1 || (len == max + 1 && s[i + max] != '\r')) {
                out.add(Frame.TOO_LONG);
                return out;
            }
            if (nl == s.length) {
                out.add(Frame.CUT);
                return out;
            }
            int end = len > 0 && s[nl - 1] == '\r' ? nl - 1 : nl;
            out.add(Arrays.copyOfRange(s, i, end));
            i = nl + 1;
        }
    }

    private static void dispatch(byte[] line) throws IOException {
        Dispatcher.Parsed p = DISPATCHER.parse(line);
        RpcResponse r = p.error() != null ? p.error() : DISPATCHER.execute(CALLER, p.request());
        if (r.isError()) {
            assertNotEquals(
                    ErrorCode.INTERNAL.number(),
                    r.error().code(),
                    () -> "INTERNAL for a request line: " + r.error().message());
        }
        if (p.request() != null) {
            assertEquals(p.request().id(), r.id(), "the response does not carry the request's id");
        }
        // Jackson writes JSON; what matters is that it is one line (String.indexOf is not traced: keeps it fast)
        String json = new String(DISPATCHER.mapper().writeValueAsBytes(r), StandardCharsets.ISO_8859_1);
        assertTrue(json.indexOf('\n') < 0 && json.indexOf('\r') < 0, "the response is not one line");
        assertTrue(json.startsWith("{") && json.contains("\"jsonrpc\":\"2.0\""), json);
    }

    /** Guarded methods for every policy operation, and an open method per params record that binds it. */
    private static MethodRegistry registry() {
        MethodRegistry reg = new MethodRegistry();
        for (Operation op : Operation.values()) {
            reg.register(op.wireName(), ActionResolver.of(op), (caller, params) -> params);
        }
        List<Class<?>> records = new ArrayList<>(List.of(PingParams.class));
        for (String holder : PARAMS_HOLDERS) {
            try {
                for (Class<?> c : Class.forName(holder).getDeclaredClasses()) {
                    if (c.isRecord()) {
                        records.add(c);
                    }
                }
            } catch (ClassNotFoundException e) {
                throw new AssertionError("params holder moved: update PARAMS_HOLDERS", e);
            }
        }
        for (Class<?> c : records) {
            String holder = c.getEnclosingClass() == null
                    ? "protocol"
                    : c.getEnclosingClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
            String name = "fz." + holder + "."
                    + Character.toLowerCase(c.getSimpleName().charAt(0))
                    + c.getSimpleName().substring(1);
            reg.registerOpen(name, (caller, params) -> {
                Object bound = Params.bind(params, c);
                JsonNode tree = MAPPER.valueToTree(bound);
                JsonNode again = MAPPER.valueToTree(Params.bind(tree, c));
                assertEquals(tree, again, () -> c.getName() + " does not bind its own serialization");
                return tree;
            });
        }
        return reg;
    }

    /** Returns at most {@code readSize} bytes per read, as a socket may. */
    private static final class ChunkedStream extends ByteArrayInputStream {
        private final int readSize;

        ChunkedStream(byte[] b, int readSize) {
            super(b);
            this.readSize = readSize;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            return super.read(b, off, Math.min(len, readSize));
        }
    }
}
