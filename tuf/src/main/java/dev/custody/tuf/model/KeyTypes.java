package dev.custody.tuf.model;

import java.util.Optional;

/** Notary's key type names and the signature method each is used with. */
public final class KeyTypes {
    public static final String ECDSA = "ecdsa";
    public static final String ECDSA_X509 = "ecdsa-x509";
    public static final String ED25519 = "ed25519";
    public static final String RSA = "rsa";
    public static final String RSA_X509 = "rsa-x509";

    public static final String METHOD_ECDSA = "ecdsa";
    public static final String METHOD_EDDSA = "eddsa";
    public static final String METHOD_RSAPSS = "rsapss";
    public static final String METHOD_RSAPKCS1V15 = "rsapkcs1v15";

    private KeyTypes() {}

    public static boolean isSupported(String keyType) {
        return switch (keyType) {
            case ECDSA, ECDSA_X509, ED25519, RSA, RSA_X509 -> true;
            default -> false;
        };
    }

    public static boolean isX509(String keyType) {
        return ECDSA_X509.equals(keyType) || RSA_X509.equals(keyType);
    }

    /** The key type without the certificate: {@code ecdsa-x509} → {@code ecdsa}. */
    public static String withoutCertificate(String keyType) {
        return switch (keyType) {
            case ECDSA_X509 -> ECDSA;
            case RSA_X509 -> RSA;
            default -> keyType;
        };
    }

    /** The method Notary writes when signing with a key of this type. */
    public static Optional<String> signingMethod(String keyType) {
        return switch (keyType) {
            case ECDSA, ECDSA_X509 -> Optional.of(METHOD_ECDSA);
            case ED25519 -> Optional.of(METHOD_EDDSA);
            case RSA, RSA_X509 -> Optional.of(METHOD_RSAPSS);
            default -> Optional.empty();
        };
    }

    /** Whether Notary's verifiers accept {@code method} for a key of {@code keyType}. */
    public static boolean methodFits(String method, String keyType) {
        return switch (method) {
            case METHOD_ECDSA -> ECDSA.equals(keyType) || ECDSA_X509.equals(keyType);
            case METHOD_EDDSA -> ED25519.equals(keyType);
            case METHOD_RSAPSS, METHOD_RSAPKCS1V15 -> RSA.equals(keyType) || RSA_X509.equals(keyType);
            default -> false;
        };
    }
}
