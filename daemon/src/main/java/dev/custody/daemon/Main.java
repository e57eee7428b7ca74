package dev.custody.daemon;

import dev.custody.daemon.config.ConfigException;
import dev.custody.daemon.config.ConfigLoader;
import dev.custody.daemon.config.DaemonConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * {@code custodyd --config FILE}: the daemon's entry point.
 *
 * <p>Exit status: 0 after a clean stop (143 when stopped by SIGTERM, as for every JVM; the unit
 * lists it in {@code SuccessExitStatus}), 64 for bad usage, 78 for a bad config, 1 when start-up
 * fails otherwise (state directory in use, socket taken, audit log damaged).
 */
public final class Main {
    static {
        // Must run before anything touches java.util.logging: keeps log handlers alive during shutdown.
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", DaemonLogging.Manager.class.getName());
        }
    }

    public static final Path DEFAULT_CONFIG = Path.of("/etc/custody/custodyd.yaml");
    static final int EX_USAGE = 64;
    static final int EX_CONFIG = 78;

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path config = DEFAULT_CONFIG;
        boolean check = false;
        boolean debug = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--config", "-c" -> {
                    if (i + 1 >= args.length) {
                        err.println("custodyd: --config needs a file");
                        return EX_USAGE;
                    }
                    config = Path.of(args[++i]);
                }
                case "--check-config" -> check = true;
                case "--debug" -> debug = true;
                case "--version" -> {
                    out.println("custodyd " + Version.get());
                    return 0;
                }
                case "--help", "-h" -> {
                    out.println(usage());
                    return 0;
                }
                default -> {
                    if (args[i].startsWith("--config=")) {
                        config = Path.of(args[i].substring(9));
                    } else {
                        err.println("custodyd: unknown argument '" + args[i] + "'\n" + usage());
                        return EX_USAGE;
                    }
                }
            }
        }
        DaemonConfig cfg;
        try {
            cfg = ConfigLoader.load(config);
        } catch (ConfigException e) {
            err.println("custodyd: " + e.getMessage());
            return EX_CONFIG;
        }
        if (check) {
            out.println("custodyd: " + config + " is valid: " + cfg.tokens().size() + " token(s), "
                    + cfg.servers().size()
                    + " server(s), "
                    + (cfg.policy().rules().isEmpty()
                            ? "default policy"
                            : cfg.policy().rules().size() + " policy rule(s)")
                    + ", state in " + cfg.stateDir());
            return 0;
        }
        DaemonLogging.install(System.getenv("JOURNAL_STREAM") != null, debug);
        System.Logger log = System.getLogger(Main.class.getName());
        List<DaemonExtension> extensions = StandardExtensions.withServiceLoader(System.getenv());
        Daemon daemon;
        try {
            daemon = Daemon.start(cfg, System.getenv(), extensions, Clock.systemUTC());
        } catch (Exception e) {
            log.log(System.Logger.Level.ERROR, "custodyd cannot start: " + e.getMessage(), e);
            err.println("custodyd: cannot start: " + e.getMessage());
            return 1;
        }
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            try {
                                daemon.stop();
                            } finally {
                                DaemonLogging.shutdownComplete();
                            }
                        },
                        "custodyd-shutdown"));
        try {
            daemon.awaitStop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    static String usage() {
        return """
        usage: custodyd [--config FILE] [--check-config] [--debug] [--version]
          --config FILE    YAML configuration (default /etc/custody/custodyd.yaml)
          --check-config   validate the configuration and exit
          --debug          log connection-level detail
        custodyd serves the custody socket; run it from custodyd.service.""";
    }
}
