package dev.custody.testhsm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DaemonYamlTest {
    private static final Path DIR = Path.of("/tmp/d");

    @Test
    void text_defaults_stateSocketWithoutGroupAndShutdownGrace() {
        assertThat(DaemonYaml.in(DIR).text()).isEqualTo("""
                stateDir: /tmp/d/state
                socket:
                  path: /tmp/d/run/custody.sock
                  group: ~
                limits:
                  shutdownGrace: 5s
                """);
    }

    @Test
    void text_tokensServersLimitsAndMore_inTheirSections() {
        String yaml = DaemonYaml.in(DIR)
                .socketLines("  mode: \"0660\"\n  group: \"7\"")
                .token("main", Path.of("/m.so"), "lab", "prompt")
                .yubikey("yk", Path.of("/yk.so"), 42, "file:/p", "default")
                .tokens("")
                .server("default", "http://127.0.0.1:1")
                .server("tls", "https://127.0.0.1:2", Path.of("/ca.pem"))
                .limit("maxRequestBytes", "16MiB")
                .more("pinCacheTime: 0s\n")
                .text();
        assertThat(yaml).isEqualTo("""
                stateDir: /tmp/d/state
                socket:
                  path: /tmp/d/run/custody.sock
                  mode: "0660"
                  group: "7"
                tokens:
                  - name: main
                    module: /m.so
                    label: lab
                    pin: prompt
                  - name: yk
                    profile: yubikey
                    module: /yk.so
                    serial: "42"
                    pin: file:/p
                    managementKey: default
                servers:
                  - name: default
                    url: http://127.0.0.1:1
                  - name: tls
                    url: https://127.0.0.1:2
                    caFile: /ca.pem
                limits:
                  shutdownGrace: 5s
                  maxRequestBytes: 16MiB
                pinCacheTime: 0s
                """);
    }

    @Test
    void parse_notaryList_rowsByName() {
        assertThat(NotaryList.parse("""

                NAME    DIGEST    SIZE (BYTES)    ROLE
                ----    ------    ------------    ----
                v1      abcd      3               targets
                """))
                .containsOnlyKeys("v1")
                .containsEntry("v1", java.util.List.of("abcd", "3", "targets"));
    }
}
