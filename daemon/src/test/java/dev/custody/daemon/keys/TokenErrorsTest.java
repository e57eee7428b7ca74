package dev.custody.daemon.keys;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custody.pkcs11.TokenErrorCode;
import dev.custody.pkcs11.TokenException;
import dev.custody.protocol.CustodyException;
import dev.custody.protocol.ErrorCode;
import dev.custody.protocol.PinIncorrectException;
import dev.custody.protocol.RpcError;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenErrorsTest {
    @Test
    void toCustody_everyTokenCodeHasAWireCode() {
        Map<TokenErrorCode, ErrorCode> expected = new EnumMap<>(TokenErrorCode.class);
        expected.put(TokenErrorCode.TOKEN_ABSENT, ErrorCode.TOKEN_ABSENT);
        expected.put(TokenErrorCode.TOKEN_NOT_FOUND, ErrorCode.TOKEN_ABSENT);
        expected.put(TokenErrorCode.PIN_REQUIRED, ErrorCode.PIN_REQUIRED);
        expected.put(TokenErrorCode.PIN_INCORRECT, ErrorCode.PIN_INCORRECT);
        expected.put(TokenErrorCode.PIN_LOCKED, ErrorCode.PIN_LOCKED);
        expected.put(TokenErrorCode.KEY_NOT_FOUND, ErrorCode.NOT_FOUND);
        expected.put(TokenErrorCode.UNSUPPORTED, ErrorCode.CONFLICT);
        expected.put(TokenErrorCode.MODULE_ERROR, ErrorCode.INTERNAL);
        expected.put(TokenErrorCode.TOKEN_ERROR, ErrorCode.INTERNAL);
        expected.put(TokenErrorCode.BAD_INPUT, ErrorCode.BAD_REQUEST);
        assertThat(expected.keySet()).containsExactlyInAnyOrder(TokenErrorCode.values());
        for (TokenErrorCode c : TokenErrorCode.values()) {
            CustodyException e = TokenErrors.toCustody("yk", new TokenException(c, "what happened"));
            assertThat(e.code()).as(c.name()).isEqualTo(expected.get(c));
            assertThat(e.getMessage()).contains("what happened");
        }
    }

    @Test
    void toCustody_pinIncorrect_carriesTriesFlagsOverTheWire() {
        CustodyException e = TokenErrors.toCustody(
                "yk",
                new dev.custody.pkcs11.PinIncorrectException("yk (serial 1)", 0xA0L, "CKR_PIN_INCORRECT", true, true));
        RpcError wire = e.toRpcError();
        assertThat(wire.data().get("countLow").asBoolean()).isTrue();
        assertThat(wire.data().get("finalTry").asBoolean()).isTrue();
        PinIncorrectException back = (PinIncorrectException) CustodyException.fromRpcError(wire);
        assertThat(back.token()).isEqualTo("yk");
        assertThat(back.countLow()).isTrue();
        assertThat(back.finalTry()).isTrue();
        assertThat(back.getMessage()).contains("ONE try left");
    }
}
