"""The app served for real on a loopback port for schemathesis, with the demo data, a registered
case system and logged-in sessions, and rate limits raised so the fuzzer is never throttled."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from werkzeug.serving import make_server

from wallet_service.access import CITIZEN, Principal
from wallet_service.models import Citizen, db
from wallet_service.platform.limits import LIMITS
from sqlalchemy import select

from ..conftest import login_as

UNLIMITED = "1000000 per minute"


@pytest.fixture
def app(make_app):
    """Every RATE_LIMIT_* raised: a 429 would hide what the endpoint behind it does."""
    app = make_app(**{name: UNLIMITED for name in LIMITS})
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def served(app):
    """The app on 127.0.0.1:<ephemeral>; each request in its own thread and app context."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@dataclass(frozen=True)
class Session:
    """A person's logged-in session: the cookie and the CSRF token its pages would send."""

    cookies: dict[str, str]
    csrf_token: str


def open_session(app, principal: Principal) -> Session:
    client = app.test_client()
    token = login_as(app, client, principal)
    name = app.config["SESSION_COOKIE_NAME"]
    return Session({name: client.get_cookie(name).value}, token)


def citizen_principal(personal_id: str) -> Principal:
    citizen = db.session.scalar(select(Citizen).where(Citizen.personal_id == personal_id))
    return Principal(CITIZEN, citizen.id, citizen.full_name, personal_id=personal_id)
