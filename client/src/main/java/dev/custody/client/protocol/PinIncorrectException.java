package dev.custody.client.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.OptionalInt;

/** The token rejected the PIN. The daemon never retries a wrong PIN by itself. */
public final class PinIncorrectException extends CustodyException {
  private static final long serialVersionUID = 1L;
  private final String token;
  private final Integer triesLeft;

  /** @param triesLeft tries before the token locks, or null if the token does not tell */
  public PinIncorrectException(String token, Integer triesLeft, String message) {
    super(ErrorCode.PIN_INCORRECT, message);
    this.token = token;
    this.triesLeft = triesLeft;
  }

  public String token() {
    return token;
  }

  public OptionalInt triesLeft() {
    return triesLeft == null ? OptionalInt.empty() : OptionalInt.of(triesLeft);
  }

  @Override
  protected ObjectNode fields() {
    ObjectNode n = putIfPresent(super.fields(), "token", token);
    if (triesLeft != null) {
      n.put("triesLeft", triesLeft);
    }
    return n;
  }
}
