package dev.custody.daemon.rpc;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.custody.protocol.BadRequestException;
import dev.custody.protocol.Protocol;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Binds a request's params to a record with the protocol's strict rules, turning every mismatch
 * into a BAD_REQUEST that names the field: {@code params.gun must be a string}.
 */
public final class Params {
    private static final ObjectMapper MAPPER = Protocol.newMapper();

    private Params() {}

    /** Binds {@code params} (absent params count as {@code {}}) to {@code type}. */
    public static <T> T bind(JsonNode params, Class<T> type) throws BadRequestException {
        JsonNode p = params == null || params.isNull() ? JsonNodeFactory.instance.objectNode() : params;
        try {
            return MAPPER.treeToValue(p, type);
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null
                    ? ""
                    : e.getKnownPropertyIds().stream()
                            .map(String::valueOf)
                            .sorted()
                            .collect(Collectors.joining(", "));
            String field = path(e);
            throw new BadRequestException(
                    field + " is not a known parameter" + (known.isEmpty() ? "" : " (known: " + known + ")"), field);
        } catch (InvalidNullException e) {
            String field = path(e);
            throw new BadRequestException(field + " must not be null", field);
        } catch (ValueInstantiationException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            throw new BadRequestException("params: " + c.getMessage(), "params");
        } catch (MismatchedInputException e) {
            String field = path(e);
            String orig = String.valueOf(e.getOriginalMessage());
            if (orig.startsWith("Cannot map `null`")) {
                throw new BadRequestException(field + " is required (" + jsonType(e.getTargetType()) + ")", field);
            }
            throw new BadRequestException(field + " must be " + jsonType(e.getTargetType()), field);
        } catch (JsonMappingException e) {
            String field = path(e);
            throw new BadRequestException(field + ": " + e.getOriginalMessage(), field);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new BadRequestException("params: " + e.getOriginalMessage(), "params");
        }
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder("params");
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                sb.append('.').append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    static String jsonType(Class<?> t) {
        if (t == null) {
            return "of another type";
        }
        if (t == String.class || t.isEnum() || CharSequence.class.isAssignableFrom(t)) {
            return "a string";
        }
        if (t == boolean.class || t == Boolean.class) {
            return "a boolean";
        }
        if (t == int.class
                || t == long.class
                || t == short.class
                || t == Integer.class
                || t == Long.class
                || t == Short.class
                || t == java.math.BigInteger.class) {
            return "an integer";
        }
        if (Number.class.isAssignableFrom(t) || t == double.class || t == float.class) {
            return "a number";
        }
        if (t.isArray() || Collection.class.isAssignableFrom(t)) {
            return "an array";
        }
        if (Map.class.isAssignableFrom(t) || t.isRecord() || JsonNode.class.isAssignableFrom(t)) {
            return "an object";
        }
        return "of another type";
    }
}
