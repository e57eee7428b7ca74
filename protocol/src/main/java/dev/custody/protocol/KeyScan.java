package dev.custody.protocol;

import java.util.List;

/** What {@code key.scan} found on one token. */
public record KeyScan(String token, String tokenSerial, List<ScannedKey> keys) {
    public KeyScan {
        keys = keys == null ? List.of() : List.copyOf(keys);
    }
}
