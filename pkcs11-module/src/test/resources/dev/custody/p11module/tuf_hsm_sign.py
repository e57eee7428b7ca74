"""Signs TUF 1.0 targets metadata with securesystemslib's HSMSigner through PYKCS11LIB and verifies it.

usage: PYKCS11LIB=libcustody-pkcs11.so /usr/bin/python3 tuf_hsm_sign.py OUT.json
The HSM key is the one with CKA_ID 02 (PIV slot 9c), HSMSigner's default. Prints the key's
securesystemslib key ID, then "verified" once the signature checks out with the public key alone.
"""
import json
import sys

from securesystemslib.formats import encode_canonical
from securesystemslib.signer import HSMSigner, Signer

uri, public_key = HSMSigner.import_()  # finds CKA_ID 02, reads CKA_EC_PARAMS / CKA_EC_POINT
signer = Signer.from_priv_key_uri(uri, public_key, lambda _: "")  # the PIN is ignored by custodyd's module

signed = {
    "_type": "targets",
    "spec_version": "1.0.31",
    "version": 1,
    "expires": "2030-01-01T00:00:00Z",
    "targets": {"app.tar.gz": {"length": 3, "hashes": {"sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}}},
}
payload = encode_canonical(signed).encode()
signature = signer.sign(payload)
public_key.verify_signature(signature, payload)  # raises if it does not verify
with open(sys.argv[1], "w") as f:
    json.dump({"signed": signed, "signatures": [signature.to_dict()]}, f)
print(public_key.keyid)
print("verified")
