package dev.custody.pkcs11;

/** The contract on the default backend (org.xipki:ipkcs11wrapper): every operation is supported. */
class XipkiContractTest extends TokenContractTest {
    @Override
    protected Pkcs11.Backend backendType() {
        return Pkcs11.Backend.IPKCS11WRAPPER;
    }

    @Override
    protected boolean supportsKeyManagement() {
        return true;
    }
}
