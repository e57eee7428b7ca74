package dev.custody.client.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * A table printed the way notary prints its tables (Go's tabwriter with padding 4): a header row,
 * a row of dashes as long as each header, then the rows; every column but the last is padded to
 * its widest cell plus four spaces.
 */
final class Table {
    private static final int PADDING = 4;
    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    Table(String... headers) {
        columns = headers.length;
        rows.add(headers);
        String[] dashes = new String[columns];
        for (int i = 0; i < columns; i++) {
            dashes[i] = "-".repeat(headers[i].length());
        }
        rows.add(dashes);
    }

    Table row(Object... cells) {
        if (cells.length != columns) {
            throw new IllegalArgumentException("expected " + columns + " cells, got " + cells.length);
        }
        // loops, not streams: no lambda to link on custody status's path (start-up: client/README.md)
        String[] row = new String[columns];
        for (int i = 0; i < columns; i++) {
            row[i] = cells[i] == null ? "" : escape(String.valueOf(cells[i]));
        }
        rows.add(row);
        return this;
    }

    /**
     * {@code s} with every control character (C0, DEL, C1) and lone surrogate written as {@code \xNN} or
     * a backslash-u escape: a cell from a server or another caller never moves the cursor, colours the terminal
     * or starts a fake row.
     */
    static String escape(String s) {
        if (s == null) {
            return null;
        }
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pair =
                    Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            boolean bad = c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || (Character.isSurrogate(c) && !pair);
            if (bad && sb == null) {
                sb = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (sb != null) {
                if (bad) {
                    sb.append(c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                    if (pair) {
                        sb.append(s.charAt(++i));
                    }
                }
            } else if (pair) {
                i++;
            }
        }
        return sb == null ? s : sb.toString();
    }

    /** True when no data row was added. */
    boolean isEmpty() {
        return rows.size() == 2;
    }

    /** The table, each line ending in a newline. */
    String render() {
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int i = 0; i < columns; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(r[i]);
                if (i < columns - 1) {
                    line.append(" ".repeat(width[i] - r[i].length() + PADDING));
                }
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    /**
     * Shortens {@code s} to {@code max} characters keeping its end, as notary does for GUNs in
     * {@code key list}: {@code ...example.com/admin/demo}.
     */
    static String truncateLeft(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        return "..." + s.substring(s.length() - (max - 3));
    }
}
