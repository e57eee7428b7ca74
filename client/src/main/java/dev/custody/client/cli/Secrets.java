package dev.custody.client.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads PINs and passphrases: from the terminal without echo, or one line of stdin when the caller
 * asked for it with {@code --pin-stdin}. Never from argv or the environment ({@link Main} refuses
 * PIN options before parsing).
 */
final class Secrets {
    private Secrets() {}

    /**
     * The secret for {@code prompt}: one stdin line if {@code fromStdin}, else the terminal without
     * echo; a usage error when neither is possible.
     */
    static char[] read(Terminal t, String prompt, boolean fromStdin, String stdinOption) throws IOException {
        char[] s;
        if (fromStdin) {
            s = readLine(t.in());
            if (s == null) {
                throw new Failure.UsageException(stdinOption + ": stdin ended before a line was read");
            }
        } else if (t.console().isPresent()) {
            s = t.console().get().readPassword("%s", prompt);
            if (s == null) {
                throw new Failure.UsageException("no input on the terminal");
            }
        } else {
            throw new Failure.UsageException("no terminal to prompt on: pipe the secret in and add " + stdinOption);
        }
        if (s.length == 0) {
            throw new Failure.UsageException("empty input: nothing was sent");
        }
        return s;
    }

    /** One line of {@code in} without its line ending, read byte by byte so nothing past it is consumed. */
    static char[] readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int b;
        boolean any = false;
        while ((b = in.read()) != -1) {
            any = true;
            if (b == '\n') {
                break;
            }
            buf.write(b);
        }
        if (!any) {
            return null;
        }
        byte[] bytes = buf.toByteArray();
        int n = bytes.length;
        if (n > 0 && bytes[n - 1] == '\r') {
            n--;
        }
        CharBuffer cb = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes, 0, n));
        char[] out = Arrays.copyOf(cb.array(), cb.limit());
        Arrays.fill(bytes, (byte) 0);
        Arrays.fill(cb.array(), '\0');
        return out;
    }
}
