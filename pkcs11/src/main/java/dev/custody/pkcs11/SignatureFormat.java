package dev.custody.pkcs11;

/** Encoding of an ECDSA signature. EdDSA signatures are always the raw 64 bytes. */
public enum SignatureFormat {
    /** r||s, each left-padded to the field size (64 bytes for P-256): what TUF/Notary expects. */
    RAW,
    /** ASN.1 DER SEQUENCE { r INTEGER, s INTEGER }: what X.509 and the JDK's SHA256withECDSA expect. */
    DER
}
