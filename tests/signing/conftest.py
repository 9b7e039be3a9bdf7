from pathlib import Path

import pytest
from key_fixtures import csc_service, key_source_factory, softhsm_token  # noqa: F401
from pki_fixtures import dev_pki  # noqa: F401  (re-exported fixtures)

from signing.stamp import StampFont


@pytest.fixture(scope="session")
def stamp_font() -> StampFont:
    return StampFont.load()


@pytest.fixture(scope="session")
def nss_db(dev_pki, tmp_path_factory) -> str:
    from checks import make_nss_db

    return make_nss_db(tmp_path_factory.mktemp("nss"), Path(dev_pki.root_cert_path))
