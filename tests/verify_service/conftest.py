"""Fixtures for verification in the service: the app served for real (results are really signed
by the signing pipeline on the development PKI), one warm verifier for the whole session trusting
that PKI's root (starting a pool costs 1-2 s; every test gets a fresh app), a foreign PKI whose
documents nobody trusts, and the credential issuer's fixtures."""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from sqlalchemy import Table

from tests.conftest import login_as, official_principal
from tests.issuer.conftest import (  # noqa: F401  (fixtures re-used as they are)
    citizen_login,
    make_offer,
    result_documents,
    signed_results,
    wallet,
    wallet_key,
)
from verification import Verifier
from wallet_service.batches import creation, runner
from wallet_service.models import Base, Result, db
from wallet_service.services import services
from wallet_service.verify.holder import VerifierHolder
from wallet_service.dev.demo import demo_code

WARD = "000.00.15.H40"
AGENCY1 = "Trung tâm Phục vụ hành chính công phường Hạ Long"


def use_verifier(app, verifier: Verifier) -> None:
    """Give `app` the session's warm verifier instead of starting a pool of its own."""
    services(app).verifier = VerifierHolder(lambda: verifier)


@pytest.fixture
def app(live_app, trusted_verifier):
    use_verifier(live_app, trusted_verifier)
    return live_app


@pytest.fixture(scope="session")
def foreign_document(foreign_pki) -> bytes:
    """A result signed B-LTA on the foreign PKI (its own root): nobody here trusts it."""
    from tests.verification.documents import DocumentSigner, unsigned_pdf

    signer = DocumentSigner(foreign_pki, official="official2", agency="000.00.04.H40")
    # On a thread of its own: in a full run Playwright's event loop may own this thread already.
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(signer.sign_b_lta, unsigned_pdf("Giấy phép xây dựng")).result()


def sign(app, results: list[Result]) -> list[Result]:
    """Sign `results` as official1 through the real batch pipeline; returns them refreshed."""
    batch = creation.create_batch(db.session, official_principal("official1"), [r.id for r in results])
    # On the app's job thread, as the API does: a browser test's thread runs Playwright's event loop.
    services(app).jobs.submit(runner.TASK, batch.id)
    services(app).jobs.wait(timeout=300)
    db.session.expire_all()
    signed = [db.session.get(Result, r.id) for r in results]
    assert all(r.status in ("signed", "delivered") and r.signed_sha256 for r in signed), [r.status for r in signed]
    return signed


@dataclass(frozen=True)
class SignedState:
    """The database and documents as signing a result left them: every table's rows (in the order
    their foreign keys allow inserting them) and a copy of the document folder."""

    rows: tuple[tuple[Table, tuple[dict, ...]], ...]
    documents: Path
    result_id: str


def take_state(app, result: Result, folder: Path) -> SignedState:
    with db.engine.connect() as conn:
        rows = tuple((t, tuple(dict(r) for r in conn.execute(t.select()).mappings())) for t in Base.metadata.sorted_tables)
    shutil.copytree(services(app).documents.root, folder)
    return SignedState(rows, folder, result.id)


def put_back(app, state: SignedState) -> Result:
    """Make `app`'s (empty but for the demo people) database and documents what `state` recorded: the
    test gets rows of its own to change, as if it had signed the result itself."""
    db.session.commit()  # nothing of the test's session may hold the database while it is replaced
    with db.engine.begin() as conn:
        # The demo people go too, and come back with the recorded ids: ids a PostgreSQL sequence
        # handed out already, so later inserts never collide with them.
        for table, _ in reversed(state.rows):
            conn.execute(table.delete())
        for table, rows in state.rows:
            if rows:
                conn.execute(table.insert(), list(rows))
    shutil.copytree(state.documents, services(app).documents.root, dirs_exist_ok=True)
    db.session.expire_all()
    return db.session.get(Result, state.result_id)


@pytest.fixture(scope="session")
def signed_states(database_url) -> dict[str, SignedState]:
    """Per backend, the state the first `signed_result` of the run left: signing costs ~0.5 s of CPU
    (and starting the app's PKI services for its TSA and OCSP as much again), copying it back a few
    milliseconds."""
    return {}


@pytest.fixture
def signed_result(app, demo, database_url, signed_states, request, tmp_path_factory) -> Result:
    """Citizen 1's household business registration, signed B-LTA by official1 and agency 1: by the
    batch pipeline in the first test that asks (per backend), its rows and documents copied into
    each later test's empty database (the same PKI and dev secret make the same document valid
    there)."""
    # Its rows are replaced by the recorded ones (other ids): a test needs one or the other.
    assert "demo_results" not in request.fixturenames, "signed_result brings the demo results itself"
    if database_url not in signed_states:
        result = sign(app, [request.getfixturevalue("demo_results")[demo_code(WARD, 1)]])[0]
        signed_states[database_url] = take_state(app, result, tmp_path_factory.mktemp("signed") / "documents")
        return result
    return put_back(app, signed_states[database_url])


def signed_pdf(app, result: Result) -> bytes:
    return services(app).documents.get(result.signed_sha256)


def annul(app, result: Result, reason: str = "Cấp nhầm người nhận") -> None:
    client = app.test_client()
    token = login_as(app, client, official_principal("official1"))
    response = client.post(f"/api/v1/results/{result.id}/revoke", json={"reason": reason}, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_json()
    db.session.expire_all()  # the test's own session must see what the request committed


def with_added_page(signed: bytes) -> bytes:
    """An incremental update appending a blank page, as an editor would after issue."""
    writer = IncrementalPdfFileWriter(BytesIO(signed), strict=False)
    page = generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Page"),
        pdf_name("/MediaBox"): generic.ArrayObject(map(generic.NumberObject, (0, 0, 595, 842))),
        pdf_name("/Resources"): generic.DictionaryObject(),
    })
    writer.insert_page(page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def with_flipped_byte(signed: bytes) -> bytes:
    """One letter of /Producer in the first revision changes case: same length, still a PDF."""
    position = signed.index(b"(", signed.index(b"/Producer")) + 2
    copy = bytearray(signed)
    copy[position] ^= 0x20
    return bytes(copy)
