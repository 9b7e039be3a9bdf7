"""Fixtures for the login tests: the service on a real loopback HTTP server (so the relying party
really talks HTTP to the providers), fresh tables and demo data per test."""
from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.conftest import _empty_all_tables
from wallet_service import create_app
from wallet_service.dev import demo as demo_data
from wallet_service.dev.idp.keys import ensure_signing_key
from wallet_service.models import db

from .fake_provider import CITIZEN_CLAIMS, Scenario, make_provider
from .servers import LiveServer, SwappableApp
from wallet_service.services import services


@pytest.fixture(scope="session")
def service_server():
    """One loopback port for the whole session; each test mounts its own application on it."""
    dispatcher = SwappableApp()
    with LiveServer(dispatcher) as server:
        yield server, dispatcher


@pytest.fixture
def make_service(database_url, tmp_path, service_server, demo_pdfs):
    """`make_service(**config)`: a fresh application serving at `service_server`'s URL, demo data
    loaded for the identity providers the config names (embedded provider by default)."""
    server, dispatcher = service_server
    made = []

    def make(**config):
        app = create_app({
            "database_url": database_url, "instance_path": tmp_path / "instance",
            "public_base_url": server.url, "TESTING": True, **config,
        })
        _empty_all_tables(app)
        ensure_signing_key(Path(app.instance_path))  # what `wallet-service init` does
        with app.app_context():
            settings = services(app).settings
            demo_data.load(db.session, services(app).documents, services(app).official_issuer,
                           settings.max_document_bytes, demo_pdfs)
            db.session.remove()
        dispatcher.target = app
        made.append(app)
        return app

    yield make
    dispatcher.target = None
    for app in made:
        _empty_all_tables(app)


@pytest.fixture
def service(make_service):
    """The service with the embedded development provider."""
    return make_service()


@pytest.fixture
def scenario():
    """What the tests' own provider (fake_provider.py) does; tests change it between logins."""
    return Scenario(claims=dict(CITIZEN_CLAIMS))


@pytest.fixture
def provider(scenario):
    """The tests' own provider on a loopback port; its issuer URL."""
    holder = {}
    with LiveServer(make_provider(scenario, holder)) as server:
        holder["issuer"] = server.url
        yield server.url


@pytest.fixture
def browser():
    with requests.Session() as http:
        yield http
