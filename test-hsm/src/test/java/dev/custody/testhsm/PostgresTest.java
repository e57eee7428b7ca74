package dev.custody.testhsm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PostgresTest {
    private static final Duration LIMIT = Duration.ofSeconds(120);

    @TempDir
    Path tmp;

    @Test
    void startHttpPostgres_notaryPublishesIntoTheDatabase() {
        assertTimeoutPreemptively(LIMIT, () -> {
            try (Postgres pg = Postgres.start();
                    NotaryServer server = NotaryServer.startHttpPostgres(tmp.resolve("server"), pg.notaryServerUrl())) {
                NotaryCli notary = NotaryCli.create(tmp.resolve("cli"), server);
                String gun = "example.com/pg/one";
                notary.ok("init", gun, "-p");
                Path file = Files.writeString(tmp.resolve("a.txt"), "hello");
                notary.ok("add", gun, "v1", file.toString(), "-p");
                assertThat(notary.ok("list", gun)).contains("v1");
                // every role's first versions are rows; the timestamp went into the changefeed too
                assertThat(pg.query("SELECT role || ':' || version FROM tuf_files WHERE gun = '" + gun
                                        + "' ORDER BY role, version;")
                                .strip()
                                .split("\n"))
                        .containsExactly(
                                "root:1",
                                "snapshot:2",
                                "snapshot:3",
                                "targets:2",
                                "targets:3",
                                "timestamp:1",
                                "timestamp:2");
                assertThat(pg.query("SELECT count(*) FROM changefeed WHERE gun = '" + gun + "';")
                                .strip())
                        .isEqualTo("2");
            }
        });
    }
}
