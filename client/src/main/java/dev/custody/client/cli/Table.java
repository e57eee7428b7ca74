package dev.custody.client.cli;

import java.util.ArrayList;
import java.util.Arrays;
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
    rows.add(Arrays.stream(headers).map(h -> "-".repeat(h.length())).toArray(String[]::new));
  }

  Table row(Object... cells) {
    if (cells.length != columns) {
      throw new IllegalArgumentException("expected " + columns + " cells, got " + cells.length);
    }
    rows.add(Arrays.stream(cells).map(c -> c == null ? "" : String.valueOf(c)).toArray(String[]::new));
    return this;
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
