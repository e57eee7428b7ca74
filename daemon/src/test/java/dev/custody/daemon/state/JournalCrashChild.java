package dev.custody.daemon.state;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Child process of {@link JournalCrashTest}: begins an operation and records steps; prints
 * {@code STEP n} after each one is durable. In {@code lockstep} mode it waits for a line on stdin
 * before each next step; in {@code run} mode it records steps as fast as it can, forever.
 */
public final class JournalCrashChild {
    private JournalCrashChild() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        boolean lockstep = args[1].equals("lockstep");
        ObjectMapper m = new ObjectMapper();
        Journal j = Journal.open(dir, Clock.systemUTC());
        String id = j.begin("publish", "example.com/crash", m.createObjectNode().put("plan", "x".repeat(4096)));
        System.out.println("BEGIN " + id);
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (int n = 1; ; n++) {
            if (lockstep && in.readLine() == null) {
                return;
            }
            j.step(id, "step-" + n, m.createObjectNode().put("n", n).put("pad", "y".repeat(2048)));
            System.out.println("STEP " + n);
            System.out.flush();
        }
    }
}
