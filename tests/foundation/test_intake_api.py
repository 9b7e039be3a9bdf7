"""POST/GET /api/v1/results as a case system sees them: each bad input gets its own 4xx and writes
nothing (no result, citizen, audit event or stored document)."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import func, select

from tests.conftest import register_case_system_in
from tests.corpus import DSS_PADES
from wallet_service.dev import demo as demo_data
from wallet_service.dev.demo import result_pdf
from wallet_service.models import AuditEvent, Citizen, Result, db
from wallet_service.services import services

pytestmark = pytest.mark.postgres  # SQL behaviour: runs on PostgreSQL too

CORPUS = DSS_PADES


def metadata(**changes) -> dict:
    base = {
        "dossier_code": "000.00.15.H40-251121-0042",
        "procedure_code": "1.001193.000.00.00.H40",
        "procedure_name": "Thủ tục đăng ký khai sinh",
        "citizen_id": "022092001111",
        "citizen_name": "Hoàng Văn Đức",
        "title": "Trích lục khai sinh",
        "agency_code": "000.00.15.H40",
        "issued_on": "2025-11-21",
        "commune_code": "06688",
        "extra": {"so_trich_luc": "152/TLKS"},
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return result_pdf("Trung tâm Phục vụ hành chính công phường Hạ Long", "Trích lục khai sinh", "Hoàng Văn Đức",
                      "000.00.15.H40-251121-0042", ("Họ, chữ đệm, tên: Hoàng Minh Anh",))


def post(client, case_system, document: bytes | None, meta: dict | str | None, **auth):
    data = {}
    if document is not None:
        data["document"] = (io.BytesIO(document), "result.pdf", "application/pdf")
    if meta is not None:
        data["metadata"] = meta if isinstance(meta, str) else json.dumps(meta, ensure_ascii=False)
    return client.post("/api/v1/results", data=data, headers=case_system.headers(**auth), content_type="multipart/form-data")


def snapshot(app) -> tuple:
    documents = services(app).settings.documents_dir
    files = sorted(p.name for p in documents.rglob("*") if p.is_file()) if documents.exists() else []
    return (
        db.session.scalar(select(func.count()).select_from(Result)),
        db.session.scalar(select(func.count()).select_from(Citizen)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
        files,
    )


def test_created_result_is_pending_and_readable(client, case_system, pdf):
    response = post(client, case_system, pdf, metadata())
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "pending_signature"
    assert body["hashes"]["original_sha256"] == hashlib.sha256(pdf).hexdigest()
    assert body["citizen_name"] == "Hoàng Văn Đức"
    assert response.headers["Location"].endswith(body["id"])

    shown = client.get(f"/api/v1/results/{body['id']}", headers=case_system.headers())
    assert shown.status_code == 200
    assert shown.json["status"] == "pending_signature"
    assert shown.json["dossier_code"] == "000.00.15.H40-251121-0042"
    assert shown.json["extra"] == {"so_trich_luc": "152/TLKS"}
    assert shown.json["links"]["verification"].endswith(f"/v/{body['id']}")

    document = client.get(f"/api/v1/results/{body['id']}/document", headers=case_system.headers())
    assert document.status_code == 200
    assert document.mimetype == "application/pdf"
    assert document.data == pdf


def test_same_dossier_again_is_idempotent_and_a_different_document_conflicts(app, client, case_system, pdf):
    first = post(client, case_system, pdf, metadata())
    before = snapshot(app)
    again = post(client, case_system, pdf, metadata())
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"]
    other_pdf = result_pdf("Trung tâm Phục vụ hành chính công phường Hạ Long", "Trích lục khai sinh", "Hoàng Văn Đức",
                           "000.00.15.H40-251121-0042", ("Họ, chữ đệm, tên: Hoàng Minh Châu",))
    conflict = post(client, case_system, other_pdf, metadata())
    assert conflict.status_code == 409
    assert conflict.json["error"] == "dossier_exists"
    assert snapshot(app) == before


def _truncated(pdf: bytes) -> bytes:
    return pdf[: len(pdf) // 2]


BAD_DOCUMENTS = {
    "not_a_pdf": (lambda pdf: b"PK\x03\x04 this is a zip file", 422, "not_a_pdf"),
    "empty": (lambda pdf: b"", 422, "empty_document"),
    "truncated": (_truncated, 422, "malformed_pdf"),
    "garbage_after_header": (lambda pdf: b"%PDF-1.7\n" + b"\x00garbage" * 100 + b"\n%%EOF", 422, "malformed_pdf"),
    "encrypted": (lambda pdf: (CORPUS / "encrypted.pdf").read_bytes(), 422, "encrypted_pdf"),
}


@pytest.mark.parametrize("case", sorted(BAD_DOCUMENTS))
def test_bad_document_is_refused_and_nothing_written(app, client, case_system, pdf, case):
    make, status, code = BAD_DOCUMENTS[case]
    before = snapshot(app)
    response = post(client, case_system, make(pdf), metadata())
    assert (response.status_code, response.json["error"]) == (status, code), response.json
    assert response.json["message"]
    assert snapshot(app) == before


BAD_METADATA = {
    "citizen_id_short": ({"citizen_id": "02218600123"}, "citizen_id"),
    "citizen_id_letters": ({"citizen_id": "02218600123X"}, "citizen_id"),
    "citizen_id_fullwidth_digits": ({"citizen_id": "022１８６００１２３４"}, "citizen_id"),
    "dossier_code_arabic_indic_digits": ({"dossier_code": "000.00.15.H40-251121-٠٠٤٢"}, "dossier_code"),
    "citizen_id_unknown_province": ({"citizen_id": "099186001234"}, "citizen_id"),
    "citizen_id_born_in_future": ({"citizen_id": "022499001234"}, "citizen_id"),
    "dossier_code_shape": ({"dossier_code": "HS-2025-0001"}, "dossier_code"),
    "dossier_code_date": ({"dossier_code": "000.00.15.H40-251341-0001"}, "dossier_code"),
    "procedure_code": ({"procedure_code": "thu-tuc-1"}, "procedure_code"),
    "agency_code_shape": ({"agency_code": "UBND-HL"}, "agency_code"),
    "commune_code": ({"commune_code": "99999"}, "commune_code"),
    "issued_on": ({"issued_on": "21/11/2025"}, "issued_on"),
    "missing_title": ({"title": None}, "title"),
    "missing_citizen_name": ({"citizen_name": None}, "citizen_name"),
}


@pytest.mark.parametrize("case", sorted(BAD_METADATA))
def test_bad_metadata_names_the_field_and_writes_nothing(app, client, case_system, pdf, case):
    changes, field = BAD_METADATA[case]
    before = snapshot(app)
    response = post(client, case_system, pdf, metadata(**changes))
    assert response.status_code == 422, response.json
    assert response.json["error"] == "invalid_metadata"
    assert list(response.json["details"]) == [field]
    assert snapshot(app) == before


def test_unknown_agency_and_agency_not_allowed(app, client, demo, register_case_system, pdf):
    before = snapshot(app)
    ward_only = register_case_system("ward-system", agency_codes=("000.00.15.H40", "000.00.99.H40"))
    unknown = post(client, ward_only, pdf, metadata(agency_code="000.00.99.H40", dossier_code="000.00.99.H40-251121-0001"))
    assert (unknown.status_code, unknown.json["error"]) == (422, "unknown_agency")
    not_allowed = post(client, ward_only, pdf, metadata(agency_code="000.00.04.H40", dossier_code="000.00.04.H40-251121-0001"))
    assert (not_allowed.status_code, not_allowed.json["error"]) == (403, "agency_not_allowed")
    assert snapshot(app) == before


def test_a_dossier_code_of_an_agency_the_client_does_not_act_for_is_refused(app, client, demo, register_case_system, pdf):
    department = register_case_system("department-system", agency_codes=("000.00.04.H40",))
    before = snapshot(app)
    # The department's result received by the centre: the dossier code is the centre's, not the department's.
    refused = post(client, department, pdf, metadata(agency_code="000.00.04.H40"))
    assert (refused.status_code, refused.json["error"]) == (403, "dossier_agency_not_allowed")
    assert "000.00.15.H40" in refused.json["message"]
    assert snapshot(app) == before
    both = register_case_system("centre-and-department", agency_codes=("000.00.15.H40", "000.00.04.H40"))
    assert post(client, both, pdf, metadata(agency_code="000.00.04.H40")).status_code == 201


def test_a_conflict_with_a_result_the_client_may_not_read_reveals_nothing_of_it(app, client, demo, register_case_system, pdf):
    centre_and_department = register_case_system("centre-department", agency_codes=("000.00.15.H40", "000.00.04.H40"))
    centre = register_case_system("centre-only", agency_codes=("000.00.15.H40",))
    stored = post(client, centre_and_department, pdf, metadata(agency_code="000.00.04.H40"))
    assert stored.status_code == 201
    other_pdf = result_pdf("Trung tâm Phục vụ hành chính công phường Hạ Long", "Trích lục khai sinh", "Hoàng Văn Đức",
                           "000.00.15.H40-251121-0042", ("Họ, chữ đệm, tên: Hoàng Minh Châu",))
    for document in (pdf, other_pdf):
        conflict = post(client, centre, document, metadata())
        assert (conflict.status_code, conflict.json["error"]) == (409, "dossier_exists")
        text = conflict.get_data(as_text=True)
        assert stored.json["id"] not in text and stored.json["hashes"]["original_sha256"] not in text
        assert "details" not in conflict.json


@pytest.mark.parametrize(
    "parts, code",
    [
        ({"document": True}, "missing_metadata"),
        ({"metadata": True}, "missing_document"),
        ({"document": True, "metadata": "{not json"}, "invalid_metadata"),
        ({"document": True, "metadata": "[1, 2]"}, "invalid_metadata"),
    ],
)
def test_malformed_request_parts(app, client, case_system, pdf, parts, code):
    before = snapshot(app)
    meta = parts.get("metadata")
    response = post(client, case_system, pdf if parts.get("document") else None, metadata() if meta is True else meta)
    assert (response.status_code, response.json["error"]) == (400, code)
    assert snapshot(app) == before


def test_json_body_is_refused_with_a_hint(client, case_system):
    response = client.post("/api/v1/results", json=metadata(), headers=case_system.headers())
    assert (response.status_code, response.json["error"]) == (400, "invalid_content_type")


def test_oversized_upload_is_413_and_writes_nothing(make_app, pdf):
    small = make_app(max_document_bytes=4096)
    with small.app_context():
        demo_data.load_people(db.session, "http://issuer")
        case_system = register_case_system_in(small, "cs", ("000.00.15.H40",))
        before = snapshot(small)
        # Over the whole-request limit: refused by the server before it reads the body.
        big = pdf + b"%" + b"x" * 400_000 + b"\n"
        response = post(small.test_client(), case_system, big, metadata())
        assert (response.status_code, response.json["error"]) == (413, "document_too_large")
        # Within the request limit but over the document limit: refused by the intake check.
        just_over = pdf + b"%" + b"x" * 4096 + b"\n"
        response = post(small.test_client(), case_system, just_over, metadata())
        assert (response.status_code, response.json["error"]) == (413, "document_too_large")
        assert snapshot(small) == before


# --- bearer assertions -------------------------------------------------------------------------


def _none_alg_token(case_system) -> str:
    token = jwt.encode({"iss": case_system.name, "aud": case_system.audience, "iat": 0, "exp": 2**31, "jti": "x"}, None, algorithm="none")
    return token


BAD_ASSERTIONS = {
    "expired": (dict(iat=1_000_000_000, exp=1_000_000_060), "expired_token"),
    "wrong_audience": (dict(aud="https://another-service.example"), "invalid_audience"),
    "bad_signature": (dict(key=ec.generate_private_key(ec.SECP256R1())), "invalid_signature"),
    "unknown_client": (dict(iss="someone-else"), "unknown_client"),
    "missing_jti": (dict(jti=None), "invalid_token"),
    "lifetime_too_long": (dict(lifetime=3600), "token_lifetime_too_long"),
    "rsa_alg_for_ec_key": (dict(key=rsa.generate_private_key(65537, 2048), algorithm="RS256"), "invalid_algorithm"),
}


@pytest.mark.parametrize("case", sorted(BAD_ASSERTIONS))
def test_bad_assertion_is_401_with_its_code_and_writes_nothing(app, client, case_system, pdf, case):
    kwargs, code = BAD_ASSERTIONS[case]
    before = snapshot(app)
    response = post(client, case_system, pdf, metadata(), **kwargs)
    assert (response.status_code, response.json["error"]) == (401, code), response.json
    assert "Bearer" in response.headers["WWW-Authenticate"]
    assert snapshot(app) == before


def test_alg_none_and_hmac_with_public_key_are_refused(app, client, case_system, pdf):
    before = snapshot(app)
    for token in (
        _none_alg_token(case_system),
        # Algorithm confusion: HS256 keyed with the registered public key's PEM.
        jwt.api_jws.PyJWS(algorithms=["HS256"]).encode(
            json.dumps({"iss": case_system.name, "aud": case_system.audience, "iat": 0, "exp": 2**31, "jti": "y"}).encode(),
            b"not-the-key-but-long-enough-for-hmac-256", algorithm="HS256"),
    ):
        response = client.post("/api/v1/results", headers={"Authorization": f"Bearer {token}"})
        assert (response.status_code, response.json["error"]) == (401, "invalid_algorithm")
    assert snapshot(app) == before


def test_replayed_assertion_is_refused(client, case_system, pdf):
    token = case_system.assertion()
    first = client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {token}"})
    assert first.status_code == 200
    assert [a["code"] for a in first.json] == ["000.00.04.H40", "000.00.15.H40"]
    again = client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {token}"})
    assert (again.status_code, again.json["error"]) == (401, "replayed_token")


def test_a_refused_intake_still_burns_its_assertion(app, client, case_system, pdf):
    """A refused request's work is rolled back but its jti stays recorded: a captured assertion
    of a refused request cannot be replayed with a better payload."""
    token = case_system.assertion()
    headers = {"Authorization": f"Bearer {token}"}
    refused = client.post("/api/v1/results", headers=headers, content_type="multipart/form-data",
                          data={"metadata": json.dumps(metadata(citizen_id="1")), "document": (io.BytesIO(pdf), "r.pdf")})
    assert (refused.status_code, refused.json["error"]) == (422, "invalid_metadata")
    replay = client.post("/api/v1/results", headers=headers, content_type="multipart/form-data",
                         data={"metadata": json.dumps(metadata()), "document": (io.BytesIO(pdf), "r.pdf")})
    assert (replay.status_code, replay.json["error"]) == (401, "replayed_token")
    assert snapshot(app)[0] == 0


def test_expired_assertions_are_forgotten_and_live_ones_kept(app, client, case_system):
    from wallet_service.client_auth import LEEWAY_SECONDS, forget_expired_assertions
    from wallet_service.models import UsedAssertion

    now = int(time.time())
    short = case_system.assertion(iat=now, exp=now + 10)
    long = case_system.assertion(iat=now, exp=now + 200)
    for token in (short, long):
        assert client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert forget_expired_assertions(app) == 0
    later = dt.datetime.fromtimestamp(now + 10 + LEEWAY_SECONDS + 1, dt.timezone.utc)
    assert forget_expired_assertions(app, later) == 1
    assert db.session.scalars(select(UsedAssertion.jti)).all() == [jwt.decode(long, options={"verify_signature": False})["jti"]]


def test_no_credentials_and_other_schemes(client, demo):
    assert client.get("/api/v1/agencies").status_code == 401
    basic = client.get("/api/v1/agencies", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert (basic.status_code, basic.json["error"]) == (401, "invalid_request")
    garbage = client.get("/api/v1/agencies", headers={"Authorization": "Bearer not.a.jwt"})
    assert (garbage.status_code, garbage.json["error"]) == (401, "invalid_token")


def test_a_client_sees_only_its_agencies_results(client, demo, register_case_system, pdf):
    ward = register_case_system("ward-system", agency_codes=("000.00.15.H40",))
    department = register_case_system("department-system", agency_codes=("000.00.04.H40",))
    created = post(client, ward, pdf, metadata())
    assert created.status_code == 201
    rid = created.json["id"]
    assert client.get(f"/api/v1/results/{rid}", headers=department.headers()).status_code == 404
    assert client.get(f"/api/v1/results/{rid}/document", headers=department.headers()).status_code == 404
    assert client.get("/api/v1/results/not-a-result", headers=ward.headers()).status_code == 404
