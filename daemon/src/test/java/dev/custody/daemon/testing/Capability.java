package dev.custody.daemon.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a test machine may lack. CI has all of them; nothing skips there. Emulated YubiKeys are test-hsm's
 * {@code @RequiresYubikeyEmulator}.
 */
public enum Capability {
    /** Root, to create a throwaway user and switch to it. */
    ROOT("root to create a test user") {
        @Override
        boolean present() {
            return "root".equals(System.getProperty("user.name"));
        }
    },
    /** {@code systemd-analyze} from the systemd package. */
    SYSTEMD_ANALYZE("systemd-analyze (Debian package systemd)") {
        @Override
        boolean present() {
            return onPath("systemd-analyze");
        }
    },
    /** {@code systemd-socket-activate} from the systemd package. */
    SYSTEMD_SOCKET_ACTIVATE("systemd-socket-activate (Debian package systemd)") {
        @Override
        boolean present() {
            return onPath("systemd-socket-activate");
        }
    },
    /** {@code setpriv} from util-linux. */
    SETPRIV("setpriv (Debian package util-linux)") {
        @Override
        boolean present() {
            return onPath("setpriv");
        }
    },
    /** Linux: SO_PEERCRED and /proc. */
    LINUX("Linux (SO_PEERCRED, /proc)") {
        @Override
        boolean present() {
            return System.getProperty("os.name", "")
                    .toLowerCase(java.util.Locale.ROOT)
                    .contains("linux");
        }
    };

    private final String description;

    Capability(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    abstract boolean present();

    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/bin", tool)) || Files.isExecutable(Path.of("/usr/sbin", tool));
    }
}
