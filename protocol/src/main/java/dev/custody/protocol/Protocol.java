package dev.custody.protocol;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.nio.file.Path;
import java.util.Map;

/**
 * Constants and the JSON mapper of the custodyd socket protocol.
 *
 * <p>Framing: one JSON-RPC 2.0 object per line, UTF-8, terminated by {@code \n} (a trailing
 * {@code \r} is tolerated for hand-typed requests). See {@code daemon/README-protocol.md}.
 */
public final class Protocol {
    /** The only accepted value of the {@code jsonrpc} member. */
    public static final String JSONRPC_VERSION = "2.0";
    /** Where custodyd listens unless configured otherwise. */
    public static final Path DEFAULT_SOCKET = Path.of("/run/custody/custody.sock");
    /** Environment variable that overrides {@link #DEFAULT_SOCKET} for clients. */
    public static final String SOCKET_ENV = "CUSTODY_SOCKET";
    /** Default maximum request line, in bytes, excluding the newline. */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 1 << 20;
    /** Maximum nesting depth of a request; deeper documents are BAD_REQUEST. */
    public static final int MAX_NESTING_DEPTH = 64;

    private Protocol() {}

    /** The socket a client should use: {@code $CUSTODY_SOCKET}, else {@link #DEFAULT_SOCKET}. */
    public static Path socketFromEnvironment(Map<String, String> env) {
        String s = env.get(SOCKET_ENV);
        return s == null || s.isBlank() ? DEFAULT_SOCKET : Path.of(s);
    }

    /**
     * A mapper that is strict the same way on both ends: unknown fields, duplicate keys, and scalar
     * coercions ({@code "5"} for a number, {@code 5} for a string) are errors, not guesses.
     */
    public static ObjectMapper newMapper() {
        JsonMapper mapper = JsonMapper.builder()
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .build();
        mapper.getFactory()
                .setStreamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING_DEPTH)
                        .build());
        for (LogicalType t :
                new LogicalType[] {LogicalType.Textual, LogicalType.Integer, LogicalType.Float, LogicalType.Boolean}) {
            var cfg = mapper.coercionConfigFor(t);
            for (CoercionInputShape shape : new CoercionInputShape[] {
                CoercionInputShape.Integer,
                CoercionInputShape.Float,
                CoercionInputShape.Boolean,
                CoercionInputShape.String
            }) {
                if (!sameShape(t, shape)) {
                    cfg.setCoercion(shape, CoercionAction.Fail);
                }
            }
        }
        return mapper;
    }

    private static boolean sameShape(LogicalType t, CoercionInputShape shape) {
        return switch (t) {
            case Textual -> shape == CoercionInputShape.String;
            case Integer -> shape == CoercionInputShape.Integer;
            case Float -> shape == CoercionInputShape.Float || shape == CoercionInputShape.Integer;
            case Boolean -> shape == CoercionInputShape.Boolean;
            default -> true;
        };
    }
}
