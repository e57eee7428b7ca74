package dev.custody.pkcs11;

/** The contract on the default backend (org.xipki:ipkcs11wrapper): every operation is supported. */
class XipkiContractTest extends TokenContractTest {
    @org.junit.jupiter.api.Test
    void generate_anyIdBytes_keptExactly() throws Exception {
        byte[] id = {0x00, (byte) 0x9f, (byte) 0xff, 0x00};
        TokenKey key = token.generateKeyPair(KeyAlgorithm.EC_P256, id, newLabel("exact-id"));
        org.assertj.core.api.Assertions.assertThat(token.findKey(id)).contains(key);
        org.assertj.core.api.Assertions.assertThat(key.idHex()).isEqualTo("009fff00");
    }

    @Override
    protected Pkcs11.Backend backendType() {
        return Pkcs11.Backend.IPKCS11WRAPPER;
    }

    @Override
    protected boolean supportsKeyManagement() {
        return true;
    }
}
