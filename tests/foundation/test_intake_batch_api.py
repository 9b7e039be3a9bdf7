"""POST /api/v1/result-batches as a case system sees it: up to 100 results in one request, stored
all together or not at all, by the same rules as one result."""
from __future__ import annotations

import hashlib
import io
import json

import pytest
from sqlalchemy import select

from tests.conftest import register_case_system_in
from wallet_service.dev import demo as demo_data
from wallet_service.models import Citizen, Result, db
from wallet_service.results.audit import verify_chain
from wallet_service.results.intake import MAX_BATCH_RESULTS

from .test_intake_api import metadata, pdf, post, snapshot  # noqa: F401 (pdf is a fixture)

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too

NEWBORN = {"citizen_id": "022325007777", "citizen_name": "Phạm Gia Bảo"}


def dossier(n: int) -> str:
    return f"000.00.15.H40-251121-{n:04d}"


def distinct(pdf: bytes, n: int) -> bytes:
    """The same PDF made a different document: a comment after the end (a later revision's place)."""
    return pdf + f"\n% copy {n}\n".encode()


def post_batch(client, case_system, items: list[tuple[dict | object, bytes]] | None = None, *, metadata_text=None,
               documents: list[bytes] | None = None, **auth):
    metas = [m for m, _ in items or []]
    docs = documents if documents is not None else [d for _, d in items or []]
    data = {
        "metadata": metadata_text if metadata_text is not None else json.dumps(metas, ensure_ascii=False),
        "document": [(io.BytesIO(d), f"result-{i}.pdf", "application/pdf") for i, d in enumerate(docs)],
    }
    return client.post("/api/v1/result-batches", data=data, headers=case_system.headers(**auth),
                       content_type="multipart/form-data")


def test_a_batch_is_stored_in_order_and_each_result_reads_back(app, client, case_system, pdf):
    items = [(metadata(dossier_code=dossier(i), **(NEWBORN if i % 2 else {})), distinct(pdf, i)) for i in range(5)]
    response = post_batch(client, case_system, items)
    assert response.status_code == 201, response.json
    answers = response.json["results"]
    assert [a["result"]["dossier_code"] for a in answers] == [dossier(i) for i in range(5)]
    assert all(a["created"] for a in answers)
    for answer, (_, document) in zip(answers, items):
        assert answer["result"]["hashes"]["original_sha256"] == hashlib.sha256(document).hexdigest()
        shown = client.get(answer["result"]["links"]["document"], headers=case_system.headers())
        assert shown.status_code == 200 and shown.data == document
    # Two results of one new citizen in one batch: one citizen.
    assert len(db.session.scalars(select(Citizen).where(Citizen.personal_id == NEWBORN["citizen_id"])).all()) == 1
    # One audit event per result, chained in the order sent.
    assert verify_chain(db.session) == []
    assert snapshot(app)[0] == 5


def test_a_batch_sent_again_is_200_and_changes_nothing(app, client, case_system, pdf):
    items = [(metadata(dossier_code=dossier(i)), distinct(pdf, i)) for i in range(3)]
    first = post_batch(client, case_system, items)
    assert first.status_code == 201
    before = snapshot(app)
    again = post_batch(client, case_system, items)
    assert again.status_code == 200, again.json
    assert [a["created"] for a in again.json["results"]] == [False] * 3
    assert [a["result"]["id"] for a in again.json["results"]] == [a["result"]["id"] for a in first.json["results"]]
    assert snapshot(app) == before
    # One dossier new, the others known: 201, and each says which it is.
    items.append((metadata(dossier_code=dossier(3)), distinct(pdf, 3)))
    mixed = post_batch(client, case_system, items)
    assert mixed.status_code == 201
    assert [a["created"] for a in mixed.json["results"]] == [False, False, False, True]


@pytest.mark.parametrize("bad, status, code", [
    ("metadata", 422, "invalid_metadata"),
    ("document", 422, "not_a_pdf"),
    ("agency", 403, "agency_not_allowed"),
    ("unknown_agency", 422, "unknown_agency"),
    ("duplicate", 422, "duplicate_dossier"),
])
def test_one_bad_result_refuses_the_batch_names_it_and_writes_nothing(app, client, case_system, pdf, bad, status, code):
    items = [(metadata(dossier_code=dossier(i)), distinct(pdf, i)) for i in range(4)]
    meta, document = items[2]
    items[2] = {
        "metadata": ({**meta, "citizen_id": "12"}, document),
        "document": (meta, b"this is not a PDF"),
        "agency": ({**meta, "agency_code": "000.00.99.H40", "dossier_code": "000.00.99.H40-251121-0002"}, document),
        "unknown_agency": ({**meta, "agency_code": "000.00.98.H40", "dossier_code": "000.00.98.H40-251121-0002"}, document),
        "duplicate": ({**meta, "dossier_code": dossier(0)}, document),
    }[bad]
    if bad == "unknown_agency":
        case_system = _allowed_for(app, "000.00.98.H40")
    before = snapshot(app)
    response = post_batch(client, case_system, items)
    assert (response.status_code, response.json["error"]) == (status, code), response.json
    failures = response.json["details"]["items"]
    assert [(f["index"], f["error"]) for f in failures] == [(2, code)]
    assert snapshot(app) == before


def test_every_refused_entry_is_named_in_one_answer(app, client, case_system, pdf):
    items = [(metadata(dossier_code=dossier(i)), distinct(pdf, i)) for i in range(4)]
    items[1] = ({**items[1][0], "citizen_id": "12"}, items[1][1])  # metadata
    items[3] = (items[3][0], b"%PDF-1.7 truncated")  # document
    before = snapshot(app)
    response = post_batch(client, case_system, items)
    assert response.status_code == 422
    assert [(f["index"], f["error"]) for f in response.json["details"]["items"]] == [(1, "invalid_metadata"), (3, "malformed_pdf")]
    assert "citizen_id" in response.json["details"]["items"][0]["details"]
    assert snapshot(app) == before


def _allowed_for(app, *extra_agencies):
    return register_case_system_in(app, "case-system-wide", ("000.00.15.H40", *extra_agencies))


def test_a_dossier_stored_with_another_document_is_a_409_for_the_batch(app, client, case_system, pdf):
    assert post(client, case_system, distinct(pdf, 100), metadata(dossier_code=dossier(1))).status_code == 201
    before = snapshot(app)
    items = [(metadata(dossier_code=dossier(i)), distinct(pdf, i)) for i in range(3)]
    response = post_batch(client, case_system, items)
    assert (response.status_code, response.json["error"]) == (409, "dossier_exists")
    assert response.json["details"]["items"][0]["index"] == 1
    assert snapshot(app) == before


def test_a_batch_with_a_dossier_code_of_another_agency_is_refused(app, client, demo, pdf):
    department = register_case_system_in(app, "department-system", ("000.00.04.H40",))
    items = [(metadata(agency_code="000.00.04.H40", dossier_code=f"000.00.04.H40-251121-{i:04d}"), distinct(pdf, i))
             for i in range(3)]
    items[1] = ({**items[1][0], "dossier_code": dossier(1)}, items[1][1])
    before = snapshot(app)
    response = post_batch(client, department, items)
    assert (response.status_code, response.json["error"]) == (403, "dossier_agency_not_allowed")
    assert [(f["index"], f["error"]) for f in response.json["details"]["items"]] == [(1, "dossier_agency_not_allowed")]
    assert snapshot(app) == before


@pytest.mark.parametrize("shape, status, code", [
    ("object", 400, "invalid_metadata"),
    ("empty", 400, "invalid_metadata"),
    ("not_json", 400, "invalid_metadata"),
    ("fewer_documents", 400, "document_count_mismatch"),
    ("too_many", 413, "batch_too_large"),
])
def test_malformed_batches_are_4xx_and_write_nothing(app, client, case_system, pdf, shape, status, code):
    one = [(metadata(dossier_code=dossier(0)), pdf)]
    kwargs = {
        "object": {"metadata_text": json.dumps(metadata()), "documents": [pdf]},
        "empty": {"metadata_text": "[]", "documents": []},
        "not_json": {"metadata_text": "[{", "documents": [pdf]},
        "fewer_documents": {"documents": []},
        "too_many": {"metadata_text": json.dumps([metadata(dossier_code=dossier(i)) for i in range(MAX_BATCH_RESULTS + 1)]),
                     "documents": [pdf]},
    }[shape]
    before = snapshot(app)
    response = post_batch(client, case_system, one, **kwargs)
    assert (response.status_code, response.json["error"]) == (status, code), response.json
    assert snapshot(app) == before


def test_a_batch_needs_a_case_system(client, demo, pdf):
    response = client.post("/api/v1/result-batches", content_type="multipart/form-data",
                           data={"metadata": json.dumps([metadata()]), "document": (io.BytesIO(pdf), "r.pdf")})
    assert response.status_code == 401


def test_a_batch_counts_each_result_against_the_intake_limit(make_app, pdf):
    app = make_app(RATE_LIMIT_INTAKE="5 per minute")
    with app.app_context():
        demo_data.load_people(db.session, "http://issuer")
        case_system = register_case_system_in(app, "limited", ("000.00.15.H40",))
        client = app.test_client()
        items = [(metadata(dossier_code=dossier(i)), distinct(pdf, i)) for i in range(4)]
        assert post_batch(client, case_system, items).status_code == 201
        two_more = [(metadata(dossier_code=dossier(8 + i)), distinct(pdf, 8 + i)) for i in range(2)]
        refused = post_batch(client, case_system, two_more)  # 4 + 2 > 5
        assert (refused.status_code, refused.json["error"]) == (429, "too_many_requests")
        assert int(refused.headers["Retry-After"]) > 0
        assert db.session.scalar(select(Result.id).where(Result.dossier_code == dossier(8))) is None
