package dev.custody.client.cli;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * An image name as docker parses it, and its GUN: a name without a registry is on Docker Hub
 * ({@code docker.io}), and a one-component Hub name is under {@code library/}. So
 * {@code alpine:3.6} is GUN {@code docker.io/library/alpine}, tag {@code 3.6}.
 *
 * @param registry host[:port] as written, {@code docker.io} for Hub
 * @param path the repository path inside the registry
 * @param tag the tag, or null
 * @param original the text the user wrote (docker prints it back)
 */
record ImageReference(String registry, String path, String tag, String original) {
    static final String HUB = "docker.io";
    private static final Pattern PATH =
            Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

    static ImageReference parse(String ref) {
        String s = ref.strip();
        if (s.contains("@")) {
            throw new Failure.UsageException(ref + ": trust works on tags, not digests: use NAME[:TAG]");
        }
        String tag = null;
        int slash = s.lastIndexOf('/');
        int colon = s.lastIndexOf(':');
        if (colon > slash) {
            tag = s.substring(colon + 1);
            s = s.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw new Failure.UsageException(ref + ": '" + tag + "' is not a valid tag");
            }
        }
        String registry = HUB;
        String path = s;
        int first = s.indexOf('/');
        if (first > 0) {
            String head = s.substring(0, first);
            if (head.matches("[A-Za-z0-9.-]+(:[0-9]+)?")
                    && (head.contains(".") || head.contains(":") || head.equals("localhost"))) {
                registry = head;
                path = s.substring(first + 1);
            }
        }
        if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
            registry = HUB;
        }
        if (registry.equals(HUB) && !path.contains("/")) {
            path = "library/" + path;
        }
        if (!path.equals(path.toLowerCase(Locale.ROOT)) || !PATH.matcher(path).matches()) {
            throw new Failure.UsageException(
                    ref + ": invalid repository name (lower case letters, digits, and . _ - /)");
        }
        return new ImageReference(registry, path, tag, ref.strip());
    }

    /** The GUN Docker Content Trust uses for this repository. */
    String gun() {
        return registry + "/" + path;
    }

    /** The name without the tag, as the user wrote it. */
    String nameAsWritten() {
        return tag == null ? original : original.substring(0, original.length() - tag.length() - 1);
    }

    /** Where the Registry HTTP API v2 lives: Hub's is {@code registry-1.docker.io}. */
    String apiHost() {
        return registry.equals(HUB) ? "registry-1.docker.io" : registry;
    }
}
