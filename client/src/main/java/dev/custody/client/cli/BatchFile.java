package dev.custody.client.cli;

import dev.custody.protocol.BatchTarget;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The input of {@code custody add GUN --batch FILE|-}: one target per line, {@code TARGET SIZE
 * SHA256} separated by blanks (spaces or tabs), optionally a fourth field, the SHA-512. Blank lines
 * and lines starting with {@code #} are skipped. The whole file is checked before anything is sent:
 * a bad line is a usage error that names the line.
 */
final class BatchFile {
    private BatchFile() {}

    static List<BatchTarget> parse(Reader reader, String source) throws IOException {
        BufferedReader in = reader instanceof BufferedReader b ? b : new BufferedReader(reader);
        List<BatchTarget> targets = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int lineNo = 0;
        for (String line; (line = in.readLine()) != null; ) {
            lineNo++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            String[] f = l.split("[ \t]+");
            String where = source + ":" + lineNo;
            if (f.length < 3 || f.length > 4) {
                throw new Failure.UsageException(where + ": expected 'TARGET SIZE SHA256 [SHA512]', got " + f.length
                        + " field" + (f.length == 1 ? "" : "s"));
            }
            long size;
            try {
                size = Long.parseLong(f[1]);
            } catch (NumberFormatException e) {
                throw new Failure.UsageException(where + ": SIZE must be a number of bytes, got '" + f[1] + "'");
            }
            if (size < 0) {
                throw new Failure.UsageException(where + ": SIZE must not be negative, got " + size);
            }
            String sha256 = Digests.sha256(f[2], where + ": SHA256");
            String sha512 = f.length == 4 ? Digests.sha512(f[3], where + ": SHA512") : null;
            if (!names.add(f[0])) {
                throw new Failure.UsageException(where + ": target '" + f[0] + "' appears twice");
            }
            targets.add(new BatchTarget(f[0], size, sha256, sha512));
        }
        if (targets.isEmpty()) {
            throw new Failure.UsageException(source + ": no targets (expected lines of 'TARGET SIZE SHA256')");
        }
        return targets;
    }

    /**
     * Splits {@code targets} into requests that stay well under the daemon's 1 MiB request limit
     * (a target line is at most a few hundred bytes).
     */
    static List<List<BatchTarget>> chunks(List<BatchTarget> targets, int perRequest) {
        List<List<BatchTarget>> out = new ArrayList<>();
        for (int i = 0; i < targets.size(); i += perRequest) {
            out.add(targets.subList(i, Math.min(targets.size(), i + perRequest)));
        }
        return out;
    }
}
