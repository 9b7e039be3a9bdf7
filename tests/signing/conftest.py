from pathlib import Path

import pytest
from key_fixtures import csc_service, key_source_factory, softhsm_token  # noqa: F401

from signing.stamp import StampFont


@pytest.fixture(scope="session")
def dev_pki(trusted_pki):
    """The test run's trusted PKI, its TSA, OCSP and CRLs live."""
    return trusted_pki


@pytest.fixture(scope="session")
def stamp_font() -> StampFont:
    return StampFont.load()


@pytest.fixture(scope="session")
def nss_db(dev_pki, tmp_path_factory) -> str:
    from checks import make_nss_db

    return make_nss_db(tmp_path_factory.mktemp("nss"), Path(dev_pki.root_cert_path))
