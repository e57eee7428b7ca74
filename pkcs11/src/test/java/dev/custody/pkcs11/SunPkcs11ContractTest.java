package dev.custody.pkcs11;

/**
 * The contract on the JDK-only SunPKCS11 backend. It cannot list, find (by CKA_ID), delete or import
 * keys, nor read key attributes, nor do Ed25519; the contract asserts the clear UNSUPPORTED error for
 * each of those, and that pkcs11-tool still sees its generated keys as sensitive and non-extractable.
 */
class SunPkcs11ContractTest extends TokenContractTest {
    @org.junit.jupiter.api.Test
    void generate_idWithHighFirstByte_isRefusedNotMangled() {
        byte[] id = {(byte) 0x9f, 0x01, 0x02};
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> token.generateKeyPair(KeyAlgorithm.EC_P256, id, newLabel("high")))
                .isInstanceOf(UnsupportedByBackendException.class)
                .hasMessageContaining("cannot encode an ID");
    }

    @Override
    protected Pkcs11.Backend backendType() {
        return Pkcs11.Backend.SUNPKCS11;
    }

    @Override
    protected boolean supportsKeyManagement() {
        return false;
    }
}
