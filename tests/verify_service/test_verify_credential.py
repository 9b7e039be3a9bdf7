"""`POST /api/v1/verify/credential` on SD-JWT VCs really issued by the service's OpenID4VCI issuer
(offer, token, nonce, key proof, credential): valid as issued and as a selective presentation with
a key-binding JWT made the way a wallet makes it; a tampered disclosure, another key, a stale or
misdirected key binding, and an annulled result each make it invalid, naming the failed check."""
from __future__ import annotations

import base64
import hashlib
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from tests.issuer.conftest import CITIZEN1
from tests.verify_service.conftest import annul
from wallet_service.services import services

VERIFIER = "https://verifier.example.vn"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def issued_credential(client, result, make_offer, wallet) -> str:
    offer = make_offer(client, result)
    response = wallet.credential(wallet.access_token(offer))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["credentials"][0]["credential"]


@pytest.fixture
def credential(app, client, signed_results, make_offer, wallet) -> str:
    """Citizen 1's credential as the issuer delivered it: `<jwt>~<disclosure>~...~`."""
    return issued_credential(client, signed_results[CITIZEN1], make_offer, wallet)


def disclosures_by_name(credential: str) -> dict[str, str]:
    _, *disclosures, _ = credential.split("~")
    return {json.loads(base64.urlsafe_b64decode(d + "=" * (-len(d) % 4)))[1]: d for d in disclosures}


def present(credential: str, names: tuple[str, ...], wallet_key, *, aud=VERIFIER, nonce="n-123",
            iat: float | None = None, key=None, sd_hash: str | None = None) -> str:
    """A selective presentation with a key-binding JWT, as a wallet makes it (SD-JWT §4.3)."""
    issuer_jwt = credential.split("~")[0]
    chosen = disclosures_by_name(credential)
    presentation = "~".join([issuer_jwt, *(chosen[n] for n in names)]) + "~"
    claims = {"aud": aud, "nonce": nonce, "iat": int(time.time() if iat is None else iat),
              "sd_hash": sd_hash or b64url(hashlib.sha256(presentation.encode("ascii")).digest())}
    kb = jwt.encode(claims, key or wallet_key.private_key, algorithm="ES256", headers={"typ": "kb+jwt"})
    return presentation + kb


def verify(client, credential, lang="en", **extra):
    return client.post("/api/v1/verify/credential", json={"credential": credential, **extra}, headers={"Accept-Language": lang})


def checks(report) -> dict[str, str]:
    return {c["check"]: c["status"] for c in report["checks"]}


def test_a_credential_as_issued_is_valid(app, client, credential, signed_results):
    response = verify(client, credential)

    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["valid"] is True and report["indication"] == "TOTAL-PASSED"
    assert checks(report) == {"format": "passed", "issuer": "passed", "signature": "passed", "vct": "passed",
                              "validity": "passed", "disclosures": "passed", "key_binding": "not_presented",
                              "status": "passed", "registry": "passed"}
    assert report["disclosed_claims"] == {"full_name": "Lê Thị Hoa", "personal_id": CITIZEN1, "birthdate": "1986-04-12"}
    assert report["claims"]["dossier_code"] == "000.00.15.H40-251120-0001"
    assert "_sd" not in report["claims"] and report["claims"]["full_name"] == "Lê Thị Hoa"
    result = signed_results[CITIZEN1]
    assert report["registry"]["result_id"] == result.id and report["registry"]["annulled"] is False
    assert report["claims"]["document"]["sha256"] == result.signed_sha256


def test_messages_in_vietnamese_and_english(app, client, credential):
    vi, en = verify(client, credential, "vi").get_json(), verify(client, credential, "en").get_json()
    status_vi = next(c["message"] for c in vi["checks"] if c["check"] == "status")
    status_en = next(c["message"] for c in en["checks"] if c["check"] == "status")
    assert status_vi == "Danh sách trạng thái ghi HỢP LỆ: chưa bị thu hồi."
    assert status_en == "The status list says VALID: not revoked."


def test_a_selective_presentation_with_key_binding_is_valid(app, client, credential, wallet_key):
    presented = present(credential, ("full_name",), wallet_key)
    report = verify(client, presented, audience=VERIFIER, nonce="n-123").get_json()

    assert report["valid"] is True, report["checks"]
    assert checks(report)["key_binding"] == "passed"
    assert report["disclosed_claims"] == {"full_name": "Lê Thị Hoa"}  # only what the holder chose
    assert "personal_id" not in report["claims"] and "birthdate" not in report["claims"]
    assert report["key_binding"]["aud"] == VERIFIER and report["key_binding"]["nonce"] == "n-123"


@pytest.mark.parametrize(
    ("change", "options", "request_extra"),
    [
        ("another holder key", {"key": ec.generate_private_key(ec.SECP256R1())}, {}),
        ("stale", {"iat": time.time() - 600}, {}),
        ("other disclosures", {"sd_hash": b64url(hashlib.sha256(b"something else").digest())}, {}),
        ("other verifier", {"aud": "https://elsewhere.example"}, {"audience": VERIFIER}),
        ("other nonce", {"nonce": "replayed"}, {"nonce": "n-123"}),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_bad_key_binding_makes_it_invalid(app, client, credential, wallet_key, change, options, request_extra):
    report = verify(client, present(credential, ("full_name",), wallet_key, **options), **request_extra).get_json()

    assert report["valid"] is False and report["indication"] == "TOTAL-FAILED"
    assert checks(report)["key_binding"] == "failed"
    assert checks(report)["signature"] == "passed"


def test_a_tampered_disclosure_is_invalid(app, client, credential):
    original = disclosures_by_name(credential)["full_name"]
    salt, name, _ = json.loads(base64.urlsafe_b64decode(original + "=" * (-len(original) % 4)))
    forged = b64url(json.dumps([salt, name, "Nguyễn Văn Giả"], ensure_ascii=False).encode())
    report = verify(client, credential.replace(original, forged)).get_json()

    assert report["valid"] is False
    assert checks(report)["disclosures"] == "failed" and checks(report)["signature"] == "passed"
    message = next(c["message"] for c in report["checks"] if c["check"] == "disclosures")
    assert "not covered by the issuer's signature" in message


def _resigned(credential: str, key, kid: str) -> str:
    issuer_jwt, rest = credential.split("~", 1)
    header = jwt.get_unverified_header(issuer_jwt)
    payload = jwt.decode(issuer_jwt, options={"verify_signature": False})
    return jwt.encode(payload, key, algorithm="ES256", headers={**header, "kid": kid}) + "~" + rest


def test_a_credential_signed_with_another_key_is_invalid(app, client, credential):
    real_kid = jwt.get_unverified_header(credential.split("~")[0])["kid"]
    impostor = ec.generate_private_key(ec.SECP256R1())

    same_kid = verify(client, _resigned(credential, impostor, real_kid)).get_json()
    other_kid = verify(client, _resigned(credential, impostor, "impostor-key")).get_json()

    for report in (same_kid, other_kid):
        assert report["valid"] is False and checks(report)["signature"] == "failed"
    assert "does not verify" in next(c["message"] for c in same_kid["checks"] if c["check"] == "signature")
    assert "not this issuer's key" in next(c["message"] for c in other_kid["checks"] if c["check"] == "signature")


def test_an_annulled_result_makes_its_credential_invalid(app, client, credential, signed_results):
    annul(app, signed_results[CITIZEN1], "Cấp nhầm người nhận")
    report = verify(client, credential).get_json()

    assert report["valid"] is False and report["indication"] == "TOTAL-FAILED"
    assert checks(report)["status"] == "failed" and checks(report)["registry"] == "failed"
    assert checks(report)["signature"] == "passed"  # the credential itself is intact
    assert report["registry"]["annulled"] is True and report["registry"]["annulment_reason"] == "Cấp nhầm người nhận"
    assert "annulled" in next(c["message"] for c in report["checks"] if c["check"] == "status")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"credential": "not an sd-jwt"}, 422, "invalid_credential"),
        ({"credential": "a.b.c~"}, 422, "invalid_credential"),
        ({"credential": 42}, 422, "invalid_credential"),
        ({}, 422, "invalid_credential"),
        ({"credential": "x~", "nonce": 5}, 400, "invalid_request"),
        ([1, 2], 400, "invalid_request"),
    ],
)
def test_what_is_not_an_sd_jwt_is_refused_precisely(app, client, body, status, code):
    response = client.post("/api/v1/verify/credential", json=body)
    assert (response.status_code, response.get_json()["error"]) == (status, code)
    assert response.get_json()["message"]


def test_a_presentation_made_by_the_reference_holder_library_is_valid(app, client, credential, wallet_key):
    """The holder side of OWF's reference SD-JWT implementation builds the presentation and its
    key-binding JWT; our verifier must agree with that library's own verifier on the claims."""
    from cryptography.hazmat.primitives import serialization
    from jwcrypto.jwk import JWK
    from sd_jwt.holder import SDJWTHolder
    from sd_jwt.verifier import SDJWTVerifier

    holder_key = JWK.from_pem(wallet_key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    holder = SDJWTHolder(credential)
    holder.create_presentation({"personal_id": True}, nonce="n-ref", aud=VERIFIER, holder_key=holder_key, sign_alg="ES256")
    presentation = holder.sd_jwt_presentation

    report = verify(client, presentation, audience=VERIFIER, nonce="n-ref").get_json()
    assert report["valid"] is True, report["checks"]
    assert checks(report)["key_binding"] == "passed"
    assert report["disclosed_claims"] == {"personal_id": CITIZEN1}

    issuer_key = JWK(**services(app).issuer_key.load().public_jwk())
    theirs = SDJWTVerifier(presentation, lambda iss, header: issuer_key, expected_aud=VERIFIER,
                           expected_nonce="n-ref").get_verified_payload()
    assert theirs == report["claims"]


def _forged(payload: dict, disclosures: tuple[str, ...] = ()) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return "~".join([jwt.encode(payload, key, algorithm="ES256", headers={"typ": "dc+sd-jwt", "kid": "x"}), *disclosures]) + "~"


@pytest.mark.parametrize(
    "payload",
    [
        {"_sd": 5},
        {"_sd": [{"not": "a digest"}]},
        {"list": [{"...": {"nested": 1}}]},
        {"status": "valid", "cnf": "key", "document": ["x"], "result_id": 7, "iat": "yesterday"},
        {"deep": json.loads("[" * 900 + "]" * 900)},
    ],
    ids=["sd-not-a-list", "sd-not-strings", "array-digest-not-a-string", "wrong-types", "deeply-nested"],
)
def test_forged_structures_get_a_report_never_a_server_error(app, client, payload):
    response = verify(client, _forged(payload, (b64url(b'["salt", "x", ' + b"[" * 3000 + b"]" * 3000 + b"]"),)))
    assert response.status_code in (200, 422), response.get_data(as_text=True)[:500]
    if response.status_code == 200:
        assert response.get_json()["valid"] is False
