"""Fixtures for every key source, all holding development-PKI keys:
PKCS#12 files, a SoftHSM2 token created for the session, a CSC v2 server on loopback."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "peers"))

from adapters.keys.csc import CscKeySource  # noqa: E402
from adapters.keys.pkcs12 import Pkcs12KeySource  # noqa: E402
from csc_server import CscServer, credential_from_pkcs12, start_csc_server  # noqa: E402

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_LABEL = "wallet-test"
USER_PIN = "123456"
KEYS = ("official1", "000.00.15.H40")


@contextlib.contextmanager
def softhsm_token_for(pki, base: Path):
    """A SoftHSM2 token under `base` holding `pki`'s keys and certificates for KEYS, in use while the
    block runs. The library reads SOFTHSM2_CONF and its tokens when it initialises, once per process:
    it is re-initialised on the way in and out, so that tokens of other blocks (other PKIs) stay usable."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n")
    mp = pytest.MonkeyPatch()
    mp.setenv("SOFTHSM2_CONF", str(conf))
    subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", TOKEN_LABEL,
                    "--pin", USER_PIN, "--so-pin", "654321"], check=True, capture_output=True)
    for index, key in enumerate(KEYS, start=1):
        priv, cert, chain = pkcs12.load_key_and_certificates(
            pki.pkcs12_path(key).read_bytes(), pki.pkcs12_passphrase())
        key_file = base / f"k{index}.pem"
        key_file.write_bytes(priv.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()))
        subprocess.run(["softhsm2-util", "--import", str(key_file), "--token", TOKEN_LABEL,
                        "--label", key, "--id", f"{index:02x}", "--pin", USER_PIN],
                       check=True, capture_output=True)
        key_file.unlink()
    _reread_softhsm_conf()  # after softhsm2-util: the library lists the tokens it found when it initialised
    token = pkcs11.lib(SOFTHSM_MODULE).get_token(token_label=TOKEN_LABEL)
    with token.open(rw=True, user_pin=USER_PIN) as session:
        written = set()
        for key in KEYS:
            _, cert, chain = pkcs12.load_key_and_certificates(
                pki.pkcs12_path(key).read_bytes(), pki.pkcs12_passphrase())
            for label, c in [(key, cert)] + [(f"ca-{i}", c) for i, c in enumerate(chain)]:
                der = c.public_bytes(serialization.Encoding.DER)
                if der in written:
                    continue
                written.add(der)
                session.create_object({
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.VALUE: der,
                    Attribute.SUBJECT: c.subject.public_bytes(),
                    Attribute.ISSUER: c.issuer.public_bytes(),
                })
    try:
        yield {"module": SOFTHSM_MODULE, "token": TOKEN_LABEL, "pin": USER_PIN}
    finally:
        mp.undo()
        _reread_softhsm_conf()


def _reread_softhsm_conf() -> None:
    import pkcs11

    pkcs11.lib(SOFTHSM_MODULE).reinitialize()  # python-pkcs11 keeps one handle per library and process


@pytest.fixture(scope="session")
def softhsm_token(dev_pki, tmp_path_factory):
    """A SoftHSM2 token holding official1's and agency 1's keys and certificates."""
    with softhsm_token_for(dev_pki, tmp_path_factory.mktemp("softhsm")) as token:
        yield token


@pytest.fixture(scope="session")
def csc_service(dev_pki):
    """A CSC v2 server holding official1's and agency 1's keys (multisign 3)."""
    creds = [credential_from_pkcs12(key, dev_pki.pkcs12_path(key).read_bytes(),
                                    dev_pki.pkcs12_passphrase(), pin="2468", multisign=3)
             for key in KEYS]
    app = CscServer(creds, client_id="wallet-service", client_secret="s3cret")
    url, server = start_csc_server(app)
    yield {"url": url, "app": app}
    server.shutdown()


@pytest.fixture(scope="session")
def key_source_factory(dev_pki, softhsm_token, csc_service):
    """``make(kind, key)`` -> KeySource, kind in pkcs12 | pkcs11 | csc."""
    from adapters.keys.pkcs11 import Pkcs11KeySource

    def make(kind: str, key: str):
        if kind == "pkcs12":
            return Pkcs12KeySource.from_file(dev_pki.pkcs12_path(key), dev_pki.pkcs12_passphrase())
        if kind == "pkcs11":
            return Pkcs11KeySource(softhsm_token["module"], softhsm_token["token"], key,
                                   softhsm_token["pin"])
        if kind == "csc":
            return CscKeySource(csc_service["url"], key, "wallet-service", "s3cret", pin="2468")
        raise ValueError(kind)

    return make
