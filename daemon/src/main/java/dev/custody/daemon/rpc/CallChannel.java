package dev.custody.daemon.rpc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.custody.protocol.Protocol;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.util.Arrays;

/**
 * The {@link Notices.Channel} of one call on an {@link RpcConnection}: writes notice lines until
 * {@link #end()}, which the connection calls before it writes the reply.
 */
final class CallChannel implements Notices.Channel {
    private static final System.Logger LOG = System.getLogger(RpcServer.class.getName());

    /** The connection's write lock: serialises notices with the call's reply. */
    private final Object writeLock;

    private final OutputStream out;
    private final CallerIdentity caller;
    private final ObjectMapper mapper;
    private boolean ended; // guarded by writeLock

    CallChannel(Object writeLock, OutputStream out, CallerIdentity caller, ObjectMapper mapper) {
        this.writeLock = writeLock;
        this.out = out;
        this.caller = caller;
        this.mapper = mapper;
    }

    @Override
    public CallerIdentity caller() {
        return caller;
    }

    @Override
    public boolean send(String kind, ObjectNode fields) {
        ObjectNode line = mapper.createObjectNode()
                .put("jsonrpc", Protocol.JSONRPC_VERSION)
                .put("method", Notices.METHOD);
        ObjectNode params = line.putObject("params").put("kind", kind);
        fields.fields().forEachRemaining(f -> {
            if (!f.getKey().equals("kind")) {
                params.set(f.getKey(), f.getValue());
            }
        });
        synchronized (writeLock) {
            if (ended) {
                return false;
            }
            try {
                byte[] json = mapper.writeValueAsBytes(line);
                byte[] bytes = Arrays.copyOf(json, json.length + 1);
                bytes[json.length] = '\n';
                out.write(bytes);
                out.flush();
                return true;
            } catch (IOException e) {
                ended = true; // the reply write will fail the same way and end the connection
                LOG.log(Level.DEBUG, "notice to " + caller + " not sent: " + e.getMessage());
                return false;
            }
        }
    }

    void end() {
        synchronized (writeLock) {
            ended = true;
        }
    }
}
