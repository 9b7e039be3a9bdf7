import pytest


@pytest.fixture
def app(live_app):
    """Service tests sign for real, so their app is the one served with the development PKI."""
    return live_app
