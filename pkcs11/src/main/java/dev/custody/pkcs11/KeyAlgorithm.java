package dev.custody.pkcs11;

/** Key pair types the layer generates and signs with. */
public enum KeyAlgorithm {
    /** ECDSA on NIST P-256; TUF keytype {@code ecdsa}. Required. */
    EC_P256,
    /** EdDSA on Curve25519; only where the token offers CKM_EC_EDWARDS_KEY_PAIR_GEN. */
    ED25519
}
