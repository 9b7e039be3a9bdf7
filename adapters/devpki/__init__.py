"""The development PKI: root CA, agency-level CA, officials' and agencies' certificates,
a TSA, OCSP responders and CRLs, generated on first start and served over HTTP.

Certomancer does the X.509/OCSP/TSP/CRL work; this package only decides *what* to issue
(:mod:`~adapters.devpki.certomancer_config`), keeps the key files and the facts that make
issuance reproducible (validity window, base URL, identity order → serial numbers) in
``devpki.json``, and exports PEM/PKCS#12 files (:mod:`~adapters.devpki.store`).
Certomancer rebuilds the certificates from that manifest on every load; RSA PKCS#1 v1.5
signatures are deterministic, so the rebuilt certificates are byte-identical to the
exported ones (``load_dev_pki`` checks this). :mod:`~adapters.devpki.services` serves them.

Development only: private keys are files (mode 0600) under the given directory, the
PKCS#12 passphrase is a random value in ``passphrase`` beside them. Never commit them.
"""

from adapters.devpki.certomancer_config import ARCH
from adapters.devpki.model import (
    AGENCY1,
    AGENCY2,
    DEMO_IDENTITIES,
    PROVINCE,
    DevPki,
    DevPkiError,
    DevPkiIdentity,
)
from adapters.devpki.services import DevTimestampAuthority, dev_pki_services_app
from adapters.devpki.store import CERT_PROFILE, MANIFEST_NAME, ensure_dev_pki, load_dev_pki

__all__ = [
    "AGENCY1",
    "AGENCY2",
    "ARCH",
    "CERT_PROFILE",
    "DEMO_IDENTITIES",
    "MANIFEST_NAME",
    "PROVINCE",
    "DevPki",
    "DevPkiError",
    "DevPkiIdentity",
    "DevTimestampAuthority",
    "dev_pki_services_app",
    "ensure_dev_pki",
    "load_dev_pki",
]
