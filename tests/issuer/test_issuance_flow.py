"""The pre-authorised code flow end to end through the Flask app: offer, token, nonce, proof,
credential, notification; the credential checked independently of the library that built it
(signature with the key from /.well-known/jwt-vc-issuer, every disclosure's digest, the claims,
holder binding, status); then annulment flips the status."""
from __future__ import annotations

import base64
import hashlib
import json

import jwt
import pytest
from sqlalchemy import select

from tests.issuer.conftest import CITIZEN1, issuer_of
from wallet_service.issuer import annul_credentials
from wallet_service.issuer.models import IssuedCredential
from wallet_service.issuer.status_list import read_status
from wallet_service.models import AuditEvent, ResultStatus, db


def b64url_json(part: str):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def verify_sd_jwt_vc(client, credential: str) -> tuple[dict, dict, dict]:
    """(header, payload with disclosures applied, disclosed claims) — or an AssertionError."""
    assert credential.endswith("~"), "an SD-JWT without key binding ends with ~"
    issuer_jwt, *disclosures, _ = credential.split("~")
    header = jwt.get_unverified_header(issuer_jwt)
    assert header["typ"] == "dc+sd-jwt"
    unverified = jwt.decode(issuer_jwt, options={"verify_signature": False})
    metadata = client.get("/.well-known/jwt-vc-issuer").get_json()
    assert metadata["issuer"] == unverified["iss"]
    key = next(k for k in metadata["jwks"]["keys"] if k["kid"] == header["kid"])
    payload = jwt.decode(issuer_jwt, jwt.PyJWK(key).key, algorithms=[header["alg"]], options={"verify_aud": False})
    assert payload["_sd_alg"] == "sha-256"
    disclosed = {}
    for disclosure in disclosures:
        digest = base64.urlsafe_b64encode(hashlib.sha256(disclosure.encode()).digest()).rstrip(b"=").decode()
        assert digest in payload["_sd"], "every disclosure must be committed to by the issuer-signed JWT"
        _salt, name, value = b64url_json(disclosure)
        disclosed[name] = value
    return header, payload, disclosed


def status_of(client, payload: dict) -> int:
    reference = payload["status"]["status_list"]
    path = reference["uri"].split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code == 200
    assert response.mimetype == "application/statuslist+jwt"
    token = response.get_data(as_text=True)
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "statuslist+jwt"
    keys = client.get("/.well-known/jwt-vc-issuer").get_json()["jwks"]["keys"]
    key = next(k for k in keys if k["kid"] == header["kid"])
    claims = jwt.decode(token, jwt.PyJWK(key).key, algorithms=["ES256"], options={"require": ["sub", "iat", "exp"]})
    assert claims["sub"] == reference["uri"]
    assert claims["ttl"] > 0
    return read_status(claims["status_list"], reference["idx"])


def test_citizen_gets_a_verifiable_credential_for_a_signed_result(app, client, signed_results, make_offer, wallet):
    result = signed_results[CITIZEN1]
    offer = make_offer(client, result)
    assert offer.uri.startswith("openid-credential-offer://?credential_offer_uri=")
    assert offer.tx_code.isdigit() and len(offer.tx_code) == 6
    assert offer.body["qr_svg"].lstrip().startswith("<svg") and "</svg>" in offer.body["qr_svg"]

    offered = wallet.client.get(offer.offer_url.replace(issuer_of(app), ""))
    assert offered.status_code == 200
    grant = offered.get_json()["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    assert grant["pre-authorized_code"] == offer.pre_authorized_code
    assert grant["tx_code"] == {"input_mode": "numeric", "length": 6, "description": grant["tx_code"]["description"]}
    assert offer.tx_code not in json.dumps(offered.get_json()), "the tx_code travels by another channel only"

    token = wallet.token(offer)
    assert token.status_code == 200 and token.headers["Cache-Control"] == "no-store"
    assert token.get_json()["token_type"] == "Bearer" and token.get_json()["expires_in"] <= 300

    response = wallet.credential(token.get_json()["access_token"])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    credential = body["credentials"][0]["credential"]

    header, payload, disclosed = verify_sd_jwt_vc(client, credential)
    issuer = issuer_of(app)
    assert payload["iss"] == issuer and payload["vct"] == issuer + "/vct/administrative-result/v1"
    assert payload["result_id"] == result.id
    assert payload["title"] == result.title
    assert payload["procedure_code"] == result.procedure_code and payload["procedure_name"] == result.procedure_name
    assert payload["dossier_code"] == result.dossier_code
    assert payload["agency"] == {"code": result.agency.code, "name": result.agency.name}
    assert payload["issuance_date"] == result.signed_at.date().isoformat()
    assert payload["document"]["sha256"] == result.signed_sha256
    assert payload["document"]["uri"].startswith(f"{issuer}/credential-documents/")
    assert payload["cnf"] == {"jwk": wallet.key.public_jwk}
    # The citizen's personal data is only in disclosures, never in the signed JWT in clear.
    assert disclosed == {"full_name": "Lê Thị Hoa", "personal_id": CITIZEN1, "birthdate": "1986-04-12"}
    for name in disclosed:
        assert name not in payload
    assert CITIZEN1 not in credential.split("~")[0]

    assert status_of(client, payload) == 0

    notified = wallet.client.post(
        "/notification",
        json={"notification_id": body["notification_id"], "event": "credential_accepted"},
        headers={"Authorization": f"Bearer {token.get_json()['access_token']}"},
    )
    assert notified.status_code == 204
    issued = db.session.scalar(select(IssuedCredential).where(IssuedCredential.result_id == result.id))
    db.session.refresh(issued)
    assert issued.notification_event == "credential_accepted"
    actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.result_id == result.id))]
    assert actions[-3:] == ["credential.offered", "credential.issued", "credential.notification"]
    assert "wallet_credential_issuances_total 1.0" in client.get("/metrics").get_data(as_text=True)

    # A verifier holding the credential (no account, no session) reads the signed PDF it names.
    verifier = app.test_client()
    link = verifier.get(payload["document"]["uri"].removeprefix(issuer))
    assert link.status_code == 303
    pdf = verifier.get(link.headers["Location"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == result.signed_sha256

    assert annul_credentials(db.session, result) == 1
    db.session.commit()
    assert status_of(client, payload) == 1
    assert verifier.get(payload["document"]["uri"].removeprefix(issuer)).status_code == 410
    assert verifier.get(link.headers["Location"]).status_code == 410
    page = verifier.get(payload["document"]["uri"].removeprefix(issuer), headers={"Accept": "text/html"})
    assert page.status_code == 410 and "Liên kết này không còn dùng được" in page.get_data(as_text=True)


def test_annulled_result_reads_invalid_even_before_annul_credentials_runs(app, client, signed_results, make_offer, wallet):
    result = signed_results[CITIZEN1]
    response = wallet.credential(wallet.access_token(make_offer(client, result)))
    _, payload, _ = verify_sd_jwt_vc(client, response.get_json()["credentials"][0]["credential"])
    result.move_to(ResultStatus.ANNULLED)
    db.session.commit()
    assert status_of(client, payload) == 1


def test_status_indices_are_distinct_and_other_credentials_stay_valid(app, client, signed_results, make_offer, wallet):
    payloads = []
    for result in signed_results.values():
        response = wallet.credential(wallet.access_token(make_offer(client, result)))
        payloads.append(verify_sd_jwt_vc(client, response.get_json()["credentials"][0]["credential"])[1])
    references = {(p["status"]["status_list"]["uri"], p["status"]["status_list"]["idx"]) for p in payloads}
    assert len(references) == len(payloads)
    annul_credentials(db.session, signed_results[CITIZEN1])
    db.session.commit()
    annulled = signed_results[CITIZEN1].id
    assert {p["result_id"]: status_of(client, p) for p in payloads} == {
        p["result_id"]: int(p["result_id"] == annulled) for p in payloads
    }


@pytest.mark.parametrize("path", ["/status-lists/999", "/credential-offers/not-a-code"])
def test_unknown_lists_and_offers_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
