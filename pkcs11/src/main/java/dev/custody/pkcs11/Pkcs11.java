package dev.custody.pkcs11;

import dev.custody.pkcs11.sunpkcs11.SunPkcs11Backend;
import dev.custody.pkcs11.xipki.XipkiBackend;
import java.nio.file.Files;
import java.nio.file.Path;

/** Entry point: opens a PKCS#11 module with the chosen backend. */
public final class Pkcs11 {
    /** The two implementations of {@link Pkcs11Backend}. */
    public enum Backend {
        /** org.xipki:ipkcs11wrapper (the IAIK wrapper): the default, supports every operation. */
        IPKCS11WRAPPER,
        /** The JDK's SunPKCS11 provider, configured inline: no extra dependency, fewer operations. */
        SUNPKCS11
    }

    private Pkcs11() {}

    public static Pkcs11Backend open(Backend backend, Path modulePath) throws TokenException {
        if (!Files.isReadable(modulePath)) {
            throw new TokenException(
                    TokenErrorCode.MODULE_ERROR, "PKCS#11 module " + modulePath + " does not exist or is not readable");
        }
        return switch (backend) {
            case IPKCS11WRAPPER -> XipkiBackend.open(modulePath);
            case SUNPKCS11 -> SunPkcs11Backend.open(modulePath);
        };
    }

    public static Pkcs11Backend open(Path modulePath) throws TokenException {
        return open(Backend.IPKCS11WRAPPER, modulePath);
    }
}
