package dev.custody.daemon.policy;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A pattern over slash-separated names (GUNs, roles). {@code *} matches any characters except
 * {@code /}, so {@code registry.example.com/team/*} matches {@code registry.example.com/team/app}
 * but not {@code registry.example.com/team/a/b}; {@code **} matches anything including {@code /};
 * {@code ?} matches one character except {@code /}. Everything else is literal.
 */
public final class Glob {
    private final String pattern;
    private final Pattern regex;

    private Glob(String pattern, Pattern regex) {
        this.pattern = pattern;
        this.regex = regex;
    }

    public static Glob of(String pattern) {
        Objects.requireNonNull(pattern, "pattern");
        if (pattern.isEmpty()) {
            throw new IllegalArgumentException("empty pattern");
        }
        StringBuilder re = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*' || c == '?') {
                if (literal.length() > 0) {
                    re.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                if (c == '?') {
                    re.append("[^/]");
                } else if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
                    re.append(".*");
                    i++;
                } else {
                    re.append("[^/]*");
                }
            } else {
                literal.append(c);
            }
        }
        if (literal.length() > 0) {
            re.append(Pattern.quote(literal.toString()));
        }
        return new Glob(pattern, Pattern.compile(re.toString(), Pattern.DOTALL));
    }

    public boolean matches(String name) {
        return name != null && regex.matcher(name).matches();
    }

    /** Whether this pattern matches every name ({@code **}). */
    public boolean matchesEverything() {
        return pattern.chars().allMatch(c -> c == '*') && pattern.length() >= 2;
    }

    public String pattern() {
        return pattern;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Glob g && g.pattern.equals(pattern);
    }

    @Override
    public int hashCode() {
        return pattern.hashCode();
    }

    @Override
    public String toString() {
        return pattern;
    }
}
