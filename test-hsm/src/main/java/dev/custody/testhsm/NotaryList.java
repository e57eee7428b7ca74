package dev.custody.testhsm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The output of {@code notary list GUN} as data, for tests that check what the real notary client sees. */
public final class NotaryList {
    private NotaryList() {}

    /** Parses {@code notary list} output into NAME → {DIGEST, SIZE, ROLE}, in the order listed. */
    public static Map<String, List<String>> parse(String out) {
        Map<String, List<String>> rows = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String t = line.trim();
            if (t.isEmpty() || t.startsWith("NAME") || t.startsWith("----")) {
                continue;
            }
            String[] f = t.split("\\s+");
            if (f.length == 4) {
                rows.put(f[0], List.of(f[1], f[2], f[3]));
            }
        }
        return rows;
    }
}
