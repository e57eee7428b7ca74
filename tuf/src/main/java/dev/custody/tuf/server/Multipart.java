package dev.custody.tuf.server;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * The multipart/form-data body of a publish, in the form notary 0.7's client sends and its server
 * reads: one part per role, every part in the field {@code files}, the role name as the file name
 * (no {@code .json}; {@code targets/releases} keeps its slash), {@code application/octet-stream},
 * the metadata bytes unchanged. The server takes the role from the file name only.
 */
final class Multipart {
    private static final SecureRandom RANDOM = new SecureRandom();

    final String boundary;
    final byte[] body;

    private Multipart(String boundary, byte[] body) {
        this.boundary = boundary;
        this.body = body;
    }

    String contentType() {
        return "multipart/form-data; boundary=" + boundary;
    }

    /** Roles must already be checked (they go into a quoted header value unescaped). */
    static Multipart of(Map<String, byte[]> roles) {
        String boundary;
        do {
            byte[] r = new byte[24];
            RANDOM.nextBytes(r);
            boundary = HexFormat.of().formatHex(r);
        } while (occursIn(boundary, roles));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> e : roles.entrySet()) {
            ascii(
                    out,
                    "--" + boundary + "\r\n"
                            + "Content-Disposition: form-data; name=\"files\"; filename=\"" + e.getKey() + "\"\r\n"
                            + "Content-Type: application/octet-stream\r\n\r\n");
            out.writeBytes(e.getValue());
            ascii(out, "\r\n");
        }
        ascii(out, "--" + boundary + "--\r\n");
        return new Multipart(boundary, out.toByteArray());
    }

    private static boolean occursIn(String boundary, Map<String, byte[]> roles) {
        byte[] b = boundary.getBytes(StandardCharsets.US_ASCII);
        for (byte[] blob : roles.values()) {
            outer:
            for (int i = 0; i + b.length <= blob.length; i++) {
                for (int j = 0; j < b.length; j++) {
                    if (blob[i + j] != b[j]) {
                        continue outer;
                    }
                }
                return true;
            }
        }
        return false;
    }

    private static void ascii(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }
}
