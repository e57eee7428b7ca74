package dev.custody.pkcs11.xipki;

import java.lang.System.Logger.Level;

/**
 * Routes ipkcs11wrapper's static logger into ours (System.Logger "dev.custody.pkcs11.xipki").
 * The wrapper's informational chatter (its licence banner, module info) goes to DEBUG.
 */
final class XipkiLogger implements org.xipki.pkcs11.wrapper.Logger {
    private static final System.Logger LOG = System.getLogger("dev.custody.pkcs11.xipki");
    private static volatile boolean installed;

    static void install() {
        if (!installed) {
            synchronized (XipkiLogger.class) {
                if (!installed) {
                    org.xipki.pkcs11.wrapper.StaticLogger.setLogger(new XipkiLogger());
                    installed = true;
                }
            }
        }
    }

    private static void log(Level level, String format, Object... args) {
        if (LOG.isLoggable(level)) {
            LOG.log(level, () -> format(format, args));
        }
    }

    /** The wrapper uses slf4j-style {} placeholders. */
    private static String format(String format, Object... args) {
        StringBuilder sb = new StringBuilder();
        int arg = 0;
        int i = 0;
        while (i < format.length()) {
            int j = format.indexOf("{}", i);
            if (j < 0 || arg >= args.length) {
                sb.append(format, i, format.length());
                break;
            }
            sb.append(format, i, j).append(args[arg++]);
            i = j + 2;
        }
        return sb.toString();
    }

    @Override
    public void info(String f, Object... a) {
        log(Level.DEBUG, f, a);
    }
    /**
     * Warnings go to WARNING, except the wrapper's complaint about a blank CK_TOKEN_INFO.utcTime: tokens
     * without a clock (ykcs11, most smart cards) leave it blank, as PKCS#11 allows, and the wrapper would
     * repeat it on every C_GetTokenInfo.
     */
    @Override
    public void warn(String f, Object... a) {
        log(f.contains("invalid utcTime") ? Level.TRACE : Level.WARNING, f, a);
    }

    @Override
    public void error(String f, Object... a) {
        log(Level.ERROR, f, a);
    }

    @Override
    public void debug(String f, Object... a) {
        log(Level.TRACE, f, a);
    }

    @Override
    public void trace(String f, Object... a) {
        log(Level.TRACE, f, a);
    }

    @Override
    public boolean isDebugEnabled() {
        return LOG.isLoggable(Level.TRACE);
    }

    @Override
    public boolean isInfoEnabled() {
        return LOG.isLoggable(Level.DEBUG);
    }

    @Override
    public boolean isWarnEnabled() {
        return LOG.isLoggable(Level.WARNING);
    }

    @Override
    public boolean isTraceEnabled() {
        return LOG.isLoggable(Level.TRACE);
    }
}
