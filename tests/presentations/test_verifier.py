"""The verifier without a wallet app: the request object as a wallet receives it, the clerk's bad
choices, every way a response can be wrong (each refused with its reason, kept for the clerk), and
credentials whose issuer header names the key by `x5c` instead of `kid`. Presentations are made in
Python as a wallet makes them (tests/presentations/conftest.py); the npm holder is in
test_holder_peer.py."""
from __future__ import annotations

import base64
import datetime as dt
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.issuer.conftest import CITIZEN1, make_signed_results, result_documents  # noqa: F401
from tests.presentations.conftest import issue_credential, module_app, present
from wallet_service import create_app
from wallet_service.models import db
from wallet_service.platform.config import ConfigError
from wallet_service.presentations import forget_old_presentations
from wallet_service.presentations.identity import VerifierIdentityUnavailable, load_identity
from wallet_service.presentations.models import PresentationRequest
from wallet_service.services import services


@pytest.fixture(scope="module")
def vp_app(database_url, trusted_pki, tmp_path_factory):
    yield from module_app(database_url, trusted_pki.directory, tmp_path_factory.mktemp("vp-instance"))


@pytest.fixture(scope="module")
def issued(vp_app, result_documents):  # noqa: F811
    results = make_signed_results(vp_app, result_documents)
    return issue_credential(vp_app, results[CITIZEN1])


def _ask(app, **body) -> dict:
    made = app.test_client().post("/api/v1/presentations", json=body)
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _request_object(app, made: dict) -> tuple[dict, dict, object]:
    request_uri = parse_qs(urlparse(made["request_link"]).query)["request_uri"][0]
    fetched = app.test_client().get(urlparse(request_uri).path)
    assert fetched.status_code == 200 and fetched.mimetype == "application/oauth-authz-req+jwt"
    header = jwt.get_unverified_header(fetched.get_data(as_text=True))
    leaf = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
    claims = jwt.decode(fetched.get_data(as_text=True), leaf.public_key(), algorithms=["ES256"],
                        audience="https://self-issued.me/v2")
    return header, claims, leaf


def _answer(app, made: dict, **form):
    claims = _request_object(app, made)[1]
    return app.test_client().post("/presentations/response", data={"state": claims["state"], **form}), claims


def _report(app, made: dict) -> dict:
    return app.test_client().get(f"/api/v1/presentations/{made['id']}", headers={
        "Authorization": f"Bearer {made['secret']}", "Accept-Language": "en"}).get_json()


def test_request_object_is_signed_by_a_certificate_of_the_pki_naming_the_host(vp_app, trusted_pki):
    made = _ask(vp_app, procedure_code="1.001612.000.00.00.H40", claims=["birthdate", "full_name"])
    header, claims, leaf = _request_object(vp_app, made)
    assert header["typ"] == "oauth-authz-req+jwt" and header["alg"] == "ES256" and len(header["x5c"]) == 2
    ca = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][1]))
    leaf.verify_directly_issued_by(ca)
    root = x509.load_pem_x509_certificate(trusted_pki.root_cert_path.read_bytes())
    ca.verify_directly_issued_by(root)
    assert leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == ["127.0.0.1"]
    assert claims["client_id"] == "x509_san_dns:127.0.0.1"
    assert (claims["response_type"], claims["response_mode"]) == ("vp_token", "direct_post")
    assert claims["response_uri"] == "http://127.0.0.1:5000/presentations/response"
    assert len(claims["nonce"]) >= 22 and claims["state"] and claims["exp"] > time.time()
    query = claims["dcql_query"]["credentials"][0]
    assert query["format"] == "dc+sd-jwt" and query["meta"] == {"vct_values": ["http://127.0.0.1:5000/vct/administrative-result/v1"]}
    paths = {c["path"][0]: c for c in query["claims"]}
    assert paths["procedure_code"]["values"] == ["1.001612.000.00.00.H40"]
    assert "full_name" in paths and "birthdate" in paths and "personal_id" not in paths
    assert claims["client_metadata"]["vp_formats_supported"]["dc+sd-jwt"]["sd-jwt_alg_values"] == ["ES256"]


def test_bad_choices_of_the_clerk_are_refused_in_vietnamese(vp_app):
    client = vp_app.test_client()
    unknown = client.post("/api/v1/presentations", json={"claims": ["address"]})
    assert unknown.status_code == 400
    assert unknown.get_json()["message"] == "Chọn thông tin cá nhân trong số: họ và tên, số định danh cá nhân, ngày sinh."
    bad_code = client.post("/api/v1/presentations", json={"procedure_code": "thủ tục"}, headers={"Accept-Language": "en"})
    assert bad_code.status_code == 400 and bad_code.get_json()["message"].startswith("Choose the procedure by its code")
    before = db.session.query(PresentationRequest).count()
    page = client.get("/verify/wallet").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = client.post("/verify/wallet", data={"csrf_token": token, "claims": "address"})
    assert refused.status_code == 400 and 'data-testid="ask-error"' in refused.get_data(as_text=True)
    assert client.post("/verify/wallet", data={"claims": "full_name"}).status_code == 400  # no CSRF token
    assert db.session.query(PresentationRequest).count() == before


def test_each_wrong_response_is_refused_with_its_reason(vp_app, issued):
    client = vp_app.test_client()
    assert client.post("/presentations/response", json={"state": "x"}).get_json()["error"] == "invalid_request"
    unknown = client.post("/presentations/response", data={"state": "no-such-state", "vp_token": "{}"})
    assert unknown.status_code == 400 and unknown.get_json()["error_description"] == "No presentation request has this state."

    cases = {
        "vp_token": ({"vp_token": "not json"}, "The vp_token is not a JSON object."),
        "key_binding": ({"key_binding": False}, "No key-binding JWT: this request requires the wallet to prove it holds the credential."),
        "stale": ({"iat": time.time() - 600}, "The key-binding JWT is not fresh (iat more than 5 minutes away from now)."),
        "request": ({"procedure_code": "1.000001"}, "The presentation lacks what was asked: procedure_code."),
    }
    for name, (how, reason) in cases.items():
        made = _ask(vp_app, claims=["full_name"], procedure_code=how.pop("procedure_code", None))
        claims = _request_object(vp_app, made)[1]
        vp_token = how.pop("vp_token", None) or (
            '{"result": ["%s"]}' % present(issued, aud=claims["client_id"], nonce=claims["nonce"], **how))
        answer = client.post("/presentations/response", data={"state": claims["state"], "vp_token": vp_token})
        assert answer.status_code == 400 and answer.get_json() == {"error": "invalid_presentation", "error_description": reason}, name
        report = _report(vp_app, made)
        assert report["status"] == "refused" and report["report"]["reason"] == reason, name


def test_the_clerk_sees_only_what_was_asked_and_a_wallets_own_refusal(vp_app, issued):
    made = _ask(vp_app, claims=["full_name"])
    claims = _request_object(vp_app, made)[1]
    oversharing = present(issued, aud=claims["client_id"], nonce=claims["nonce"], disclose=("full_name", "personal_id"))
    answer = vp_app.test_client().post("/presentations/response", data={"state": claims["state"], "vp_token": '{"result": ["%s"]}' % oversharing})
    assert answer.status_code == 200 and answer.get_json() == {}
    shown = _report(vp_app, made)["report"]["claims"]
    assert shown["full_name"] == "Lê Thị Hoa" and "personal_id" not in shown

    declined = _ask(vp_app, claims=["personal_id"])
    answer, _ = _answer(vp_app, declined, error="access_denied", error_description="the citizen said no")
    assert answer.status_code == 200
    report = _report(vp_app, declined)
    assert report["status"] == "refused" and report["report"]["reason"] == "The citizen's wallet did not present a credential (access_denied)."
    vi = vp_app.test_client().get(f"/api/v1/presentations/{declined['id']}", headers={"Authorization": f"Bearer {declined['secret']}"})
    assert vi.get_json()["report"]["reason"] == "Ví của công dân không xuất trình chứng nhận (access_denied)."


def test_an_expired_request_takes_no_answer(vp_app, issued):
    made = _ask(vp_app, claims=["full_name"])
    claims = _request_object(vp_app, made)[1]
    row = db.session.get(PresentationRequest, made["id"])
    row.expires_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    db.session.commit()
    vp_token = '{"result": ["%s"]}' % present(issued, aud=claims["client_id"], nonce=claims["nonce"])
    late = vp_app.test_client().post("/presentations/response", data={"state": claims["state"], "vp_token": vp_token})
    assert late.status_code == 400 and late.get_json()["error_description"] == "This presentation request has expired."
    assert _report(vp_app, made)["status"] == "expired"
    assert vp_app.test_client().get(urlparse(parse_qs(urlparse(made["request_link"]).query)["request_uri"][0]).path).status_code == 404

    # A day after it expired, the request and its report are forgotten (the periodic cleanup).
    assert forget_old_presentations(vp_app, now=row.expires_at + dt.timedelta(hours=23)) == 0
    assert forget_old_presentations(vp_app, now=row.expires_at + dt.timedelta(hours=25)) >= 1
    assert vp_app.test_client().get(f"/api/v1/presentations/{made['id']}", headers={
        "Authorization": f"Bearer {made['secret']}"}).status_code == 404


def _certificate_for(public_key, signing_key) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(public_key)
                   .serial_number(1).not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=1))
                   .sign(signing_key, hashes.SHA256()))
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def test_a_credential_naming_the_issuer_key_by_x5c_verifies(vp_app, issued):
    """What the issuer's x5c header will look like: the key's certificate instead of (or beside) the kid."""
    key = services(vp_app).issuer_key.load()
    issuer_private = serialization.load_pem_private_key(key.private_pem, None)
    issuer_jwt, rest = issued["credential"].split("~", 1)
    payload = jwt.decode(issuer_jwt, options={"verify_signature": False})
    stranger = ec.generate_private_key(ec.SECP256R1())

    def resigned(x5c_key, signer) -> str:
        header = {"typ": "dc+sd-jwt", "x5c": [_certificate_for(x5c_key.public_key(), x5c_key)]}
        return jwt.encode(payload, signer, algorithm="ES256", headers=header) + "~" + rest

    def signature_check(credential: str) -> dict:
        report = vp_app.test_client().post("/api/v1/verify/credential", json={"credential": credential},
                                           headers={"Accept-Language": "en"}).get_json()
        return {c["check"]: c["status"] for c in report["checks"]}

    assert signature_check(resigned(issuer_private, issuer_private))["signature"] == "passed"
    assert signature_check(resigned(stranger, stranger))["signature"] == "failed"
    assert signature_check(resigned(issuer_private, stranger))["signature"] == "failed"


def test_verifier_files_go_together_and_must_name_the_host(tmp_path):
    with pytest.raises(ConfigError, match="VERIFIER_KEY_FILE and VERIFIER_CERTIFICATE_FILE go together"):
        create_app({"instance_path": tmp_path, "TESTING": True, "VERIFIER_KEY_FILE": str(tmp_path / "key.pem")})
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    (tmp_path / "chain.pem").write_text("-----BEGIN CERTIFICATE-----\n" + _certificate_for(key.public_key(), key)
                                        + "\n-----END CERTIFICATE-----\n")
    with pytest.raises(VerifierIdentityUnavailable, match="does not name verifier.example"):
        load_identity(tmp_path / "key.pem", tmp_path / "chain.pem", "verifier.example")


@pytest.mark.postgres
def test_two_copies_of_one_response_at_once_are_taken_once(vp_app, issued):
    """A captured response replayed while the genuine one is being verified: the request's conditional
    update lets exactly one of them through."""
    made = _ask(vp_app, claims=["full_name"])
    claims = _request_object(vp_app, made)[1]
    form = {"state": claims["state"], "vp_token": '{"result": ["%s"]}' % present(issued, aud=claims["client_id"], nonce=claims["nonce"])}
    barrier = threading.Barrier(2)

    def post():
        barrier.wait()
        return vp_app.test_client().post("/presentations/response", data=form)

    with ThreadPoolExecutor(2) as pool:
        answers = sorted(answer.status_code for answer in pool.map(lambda _: post(), range(2)))
    assert answers == [200, 400]
    assert _report(vp_app, made)["status"] == "answered"
