package dev.custody.protocol.results;

import java.util.List;

/** Result of {@code token.list}. */
public record TokenList(List<TokenReport> tokens) {
    public TokenList {
        tokens = List.copyOf(tokens);
    }
}
