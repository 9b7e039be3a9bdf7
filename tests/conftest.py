"""Shared fixtures. Every test that takes `app` runs on SQLite. A test whose subject is SQL
behaviour (locks, claims, uniqueness, transactions, statement counts) is marked `postgres` and runs
on PostgreSQL too when WALLET_TEST_DATABASE_URL names a server database the suite may create
databases beside (`.ci/run` sets it). Each backend gets one freshly migrated database per test
session (per xdist worker); each test starts from empty tables and its own document folder."""
from __future__ import annotations

import contextvars
import datetime as dt
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from flask.testing import FlaskClient
from sqlalchemy import select

from adapters.devpki import DevPki
from verification import VerificationPolicy, Verifier
from tests.pki import PKI_MOUNT, LateBoundApp, make_pki, pki_services_at, serve, serve_pki
from wallet_service import create_app
from wallet_service.access import OFFICIAL, Principal
from wallet_service.dev import demo as demo_data
from wallet_service.admin.clients import thumbprint
from wallet_service.models import ApiClient, ApiClientKey, Base, Official, Result, db
from wallet_service.platform import database, jobs
from wallet_service.services import services

POSTGRES_ENV = "WALLET_TEST_DATABASE_URL"
REDIS_URL = os.environ.get("WALLET_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PRODUCTION_SESSIONS = {"SESSION_REDIS_URL": REDIS_URL}
"""What production requires of the tests' production apps besides their subject: sessions in Redis
(connected only when a request uses a session)."""
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get(POSTGRES_ENV) else [])


@pytest.fixture(scope="session")
def _postgres_server_url():
    url = sa.engine.make_url(os.environ[POSTGRES_ENV])
    name = f"wallet_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def pytest_generate_tests(metafunc):
    """SQLite for every database test; PostgreSQL as well for those marked `postgres`, alone for those
    marked `postgres_only` (slow runs of what the SQLite variant of another test already covers)."""
    if "database_url" in metafunc.fixturenames:
        backends = BACKENDS if metafunc.definition.get_closest_marker("postgres") else BACKENDS[:1]
        if metafunc.definition.get_closest_marker("postgres_only"):
            backends = BACKENDS[1:]
        metafunc.parametrize("database_url", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    """A migrated, empty database for this session, on the backend the test is parametrised with."""
    if request.param == "postgresql":
        url = request.getfixturevalue("_postgres_server_url")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'wallet.sqlite3'}"
    migrator = create_app({"database_url": url, "instance_path": tmp_path_factory.mktemp("migrate"), "TESTING": True})
    database.upgrade(migrator)
    return url


def _empty_all_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


class IsolatedClient(FlaskClient):
    """Runs each request in an empty context, so it gets its own app context, `g` and database
    session as in production, even while the test holds an app context open."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def make_app(database_url, tmp_path):
    """`make_app(**settings)`: an app on this session's database with other settings; tables emptied after."""
    made = []

    def make(**overrides):
        config = {"database_url": database_url, "instance_path": tmp_path / "instance", "TESTING": True}
        config.update(overrides)
        made.append(create_app(config))
        made[-1].test_client_class = IsolatedClient
        _empty_all_tables(made[-1])
        return made[-1]

    yield make
    for app in made:
        jobs.shutdown(app)  # no thread of this test's apps may outlive its tables
        _empty_all_tables(app)


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo(app):
    """The demo agencies, officials and citizens (module `wallet_service.dev.demo`)."""
    demo_data.load_people(db.session, services(app).settings.public_base_url)
    return demo_data


@pytest.fixture(scope="session")
def demo_pdfs() -> dict[str, bytes]:
    """The demo results' PDFs, rendered once per test run."""
    return demo_data.render_results()


@pytest.fixture
def demo_results(app, demo, demo_pdfs):
    """The demo pending results, by dossier code."""
    settings = services(app).settings
    demo_data.load_results(db.session, services(app).documents, settings.max_document_bytes, demo_pdfs)
    return {r.dossier_code: r for r in db.session.scalars(select(Result))}


@dataclass(frozen=True)
class CaseSystem:
    """A registered API client and its private key (kept by the test, as a real case system would)."""

    name: str
    private_key: ec.EllipticCurvePrivateKey
    audience: str

    def assertion(self, *, key=None, algorithm: str = "ES256", lifetime: int = 120, **claims) -> str:
        """A bearer assertion; `claims` override or (with None) remove the standard ones, to forge bad ones."""
        now = int(time.time())
        body = {"iss": self.name, "sub": self.name, "aud": self.audience, "iat": now, "exp": now + lifetime, "jti": str(uuid.uuid4())}
        body.update(claims)
        return jwt.encode({k: v for k, v in body.items() if v is not None}, key or self.private_key, algorithm=algorithm)

    def headers(self, **kwargs) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.assertion(**kwargs)}"}


def register_case_system_in(app, name: str, agency_codes: tuple[str, ...]) -> CaseSystem:
    """Register an API client in `app`'s database (inside its app context)."""
    key = ec.generate_private_key(ec.SECP256R1())
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    db.session.add(ApiClient(name=name, agency_codes=list(agency_codes),
                           keys=[ApiClientKey(kid=thumbprint(public_pem), public_key_pem=public_pem)]))
    db.session.commit()
    return CaseSystem(name, key, services(app).settings.service_audience)


@pytest.fixture
def register_case_system(app) -> Callable[..., CaseSystem]:
    def register(name: str = "case-system", agency_codes: tuple[str, ...] = ("000.00.15.H40", "000.00.04.H40")) -> CaseSystem:
        return register_case_system_in(app, name, agency_codes)

    return register


@pytest.fixture
def case_system(demo, register_case_system) -> CaseSystem:
    return register_case_system()


# --- the app served for real (signing needs its /dev-pki TSA and OCSP over HTTP) ---------------


@dataclass(frozen=True)
class LiveServer:
    url: str
    late_bound: LateBoundApp
    pki: DevPki

    @property
    def pki_dir(self) -> Path:
        return self.pki.directory


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> LiveServer:
    """A loopback HTTP server and the trusted development PKI whose service URLs point at it: a
    test's live app serves them, and between such tests the server does."""
    late_bound = LateBoundApp()
    url, server = serve(late_bound)
    pki = make_pki(tmp_path_factory.mktemp("pki") / "pki", url + PKI_MOUNT, "trusted")
    late_bound.idle = pki_services_at(pki)
    yield LiveServer(url, late_bound, pki)
    server.shutdown()


@pytest.fixture(scope="session")
def trusted_pki(live_server) -> DevPki:
    """The PKI the live app signs with and the verifiers trust; TSA, OCSP and CRLs live."""
    return live_server.pki


@pytest.fixture(scope="session")
def foreign_pki(tmp_path_factory) -> DevPki:
    """A second, independent PKI (its own root key): trusted by nobody unless configured."""
    pki, server = serve_pki(tmp_path_factory.mktemp("foreign-pki"), "foreign")
    yield pki
    server.shutdown()


@pytest.fixture(scope="session")
def trusted_policy(trusted_pki, tmp_path_factory) -> VerificationPolicy:
    folder = tmp_path_factory.mktemp("trusted-roots")
    (folder / "root.pem").write_bytes(trusted_pki.root_cert_path.read_bytes())
    return VerificationPolicy.from_folder(folder)


@pytest.fixture(scope="session")
def trusted_verifier(trusted_policy):
    """Warm verifier workers trusting the trusted PKI's root (a pool costs 1-2 s to start)."""
    with Verifier(trusted_policy, workers=2) as warm:
        yield warm


@pytest.fixture(scope="session")
def untrusting_verifier():
    """No trust anchors at all: the setting of the DSS corpus manifest's expectations."""
    with Verifier(VerificationPolicy(time_budget_seconds=10.0), workers=2) as warm:
        yield warm


def _serve(make_app, live_server, tmp_path, **overrides):
    """An app with the development PKI, served at `app.config['LIVE_URL']`, in an app context."""
    instance = tmp_path / "live-instance"
    shutil.copytree(live_server.pki_dir, instance / "pki")
    app = make_app(instance_path=instance, public_base_url=live_server.url, signing_workers=1,
                   LIVE_URL=live_server.url, **overrides)
    with app.app_context():
        # What `wallet-service init` does besides demo data (the PKI copied above is reused as it is).
        for step in services(app).init_steps:
            step(app)
        live_server.late_bound.target = app.wsgi_app
        yield app
        db.session.remove()
        live_server.late_bound.target = None


@pytest.fixture
def live_app(make_app, live_server, tmp_path):
    """The served app; the demo officials' keys are held by the service (fast, no one to approve)."""
    yield from _serve(make_app, live_server, tmp_path)


@pytest.fixture
def remote_signing_app(make_app, live_server, tmp_path):
    """The served app as `make run` has it: the demo officials approve each batch with their PIN and a
    one-time code at the embedded remote-signing service (`/dev-csc`)."""
    yield from _serve(make_app, live_server, tmp_path, DEV_OFFICIAL_SIGNING="remote")


def login_as(app, client, principal: Principal) -> str:
    """Open a session for `principal` as the OIDC callback does (`auth.sessions.start`) in the test
    client, and return a CSRF token for its state-changing requests."""
    from flask import g, session as flask_session
    from flask_wtf.csrf import generate_csrf

    from wallet_service.auth import sessions

    with app.test_request_context():
        g.pop("csrf_token", None)  # Flask-WTF caches it on g, which the test's outer app context keeps
        sessions.start(principal, principal.kind, id_token="")
        token = generate_csrf()
        opened = dict(flask_session)
    with client.session_transaction() as stored:
        stored.clear()
        stored.update(opened)
    return token


def official_principal(username: str) -> Principal:
    official = db.session.scalar(select(Official).where(Official.username == username))
    return Principal(OFFICIAL, official.id, official.full_name, agency_codes=frozenset({official.agency.code}),
                     roles=frozenset(official.roles))


def keys_config_without_keys(folder: Path) -> str:
    """A KEYS_CONFIG file that parses but names no key: production apps of tests that never sign."""
    path = folder / "keys.toml"
    path.write_text('tsa_url = "https://tsa.example.vn/tsa"\n')
    return str(path)


def production_environment(folder: Path) -> dict[str, str]:
    """Every variable production requires, each valid, by its environment variable's name: for
    `create_app(...)` and for a `wallet-service` subprocess alike. A test of one refusal removes or
    spoils one entry. (A new production requirement is one more line here.)"""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_key = folder / "credential-issuer.pem"
    issuer_key.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Root CA")])
    now = dt.datetime.now(dt.timezone.utc)
    root = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    roots = folder / "trust-roots"
    roots.mkdir(exist_ok=True)
    (roots / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return {
        "WALLET_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": f"sqlite:///{folder / 'production.sqlite3'}",
        "INSTANCE_PATH": str(folder / "instance"),
        "PUBLIC_BASE_URL": "https://wallet.example.gov.vn",
        "KEYS_CONFIG": keys_config_without_keys(folder),
        "TRUST_ROOTS_PATH": str(roots),
        "CREDENTIAL_ISSUER_KEY_FILE": str(issuer_key),
        **PRODUCTION_SESSIONS,
        **{f"OIDC_{role}_{setting}": value for role in ("CITIZEN", "OFFICIAL")
           for setting, value in (("ISSUER", "https://id.example.gov.vn"), ("CLIENT_ID", "wallet"),
                                  ("CLIENT_SECRET", "x" * 32))},
    }
