package dev.custody.tuf.model;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Times as Go's {@code time.Time} marshals them ({@code RFC3339Nano}): fraction with trailing zeros
 * trimmed (no dot when zero), {@code Z} for a zero offset, otherwise {@code ±hh:mm}. Notary writes
 * {@code expires} this way, in the signer's local zone.
 */
public final class GoTime {
    private static final DateTimeFormatter BASE = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

    private GoTime() {}

    public static OffsetDateTime parse(String text) {
        // Go's RFC 3339 layout requires seconds; ISO_OFFSET_DATE_TIME alone would accept "hh:mmZ".
        if (text.length() < 20
                || text.charAt(10) != 'T'
                || text.charAt(16) != ':'
                || ".Z+-".indexOf(text.charAt(19)) < 0) {
            throw new IllegalArgumentException("not RFC 3339: " + text);
        }
        return OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
    }

    public static String format(OffsetDateTime t) {
        StringBuilder sb = new StringBuilder(35);
        sb.append(BASE.format(t));
        int nanos = t.getNano();
        if (nanos != 0) {
            String f = String.format("%09d", nanos);
            int end = f.length();
            while (f.charAt(end - 1) == '0') {
                end--;
            }
            sb.append('.').append(f, 0, end);
        }
        ZoneOffset off = t.getOffset();
        if (off.getTotalSeconds() == 0) {
            sb.append('Z');
        } else {
            int s = off.getTotalSeconds();
            sb.append(s < 0 ? '-' : '+');
            s = Math.abs(s);
            sb.append(String.format("%02d:%02d", s / 3600, (s / 60) % 60));
        }
        return sb.toString();
    }
}
