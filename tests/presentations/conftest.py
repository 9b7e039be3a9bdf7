"""Helpers of the verifier tests: a credential issued through the service's own OpenID4VCI endpoints,
and presentations of it made in Python the way a wallet makes them (for the cases the npm holder
is not needed for)."""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import IsolatedClient, _empty_all_tables
from tests.issuer.conftest import Wallet, WalletKey, citizen_principal, log_in, offer_from_response
from wallet_service import create_app
from wallet_service.dev import demo as demo_data
from wallet_service.models import db
from wallet_service.services import services


def issue_credential(app, result) -> dict:
    """The citizen takes an offer; a wallet redeems it at the issuer. Returns the credential, the
    holder's private key (JWK and object) and the result id."""
    browser = app.test_client()
    headers = log_in(app, browser, citizen_principal(result.citizen.personal_id))
    offer = offer_from_response(browser.post(f"/api/v1/wallet/results/{result.id}/credential-offer", headers=headers).get_json())
    key = WalletKey(ec.generate_private_key(ec.SECP256R1()))
    wallet = Wallet(app.test_client(), services(app).settings.public_base_url, key)
    answer = wallet.credential(wallet.access_token(offer))
    assert answer.status_code == 200, answer.get_json()
    return {"credential": answer.get_json()["credentials"][0]["credential"],
            "holder_jwk": json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.private_key)),
            "holder_key": key.private_key, "result_id": result.id}


def _disclosed_name(disclosure: str) -> str:
    return json.loads(base64.urlsafe_b64decode(disclosure + "=" * (-len(disclosure) % 4)))[1]


def present(credential: dict, *, aud: str, nonce: str, disclose: tuple[str, ...] = ("full_name",),
            key_binding: bool = True, iat: float | None = None) -> str:
    """An SD-JWT+KB presentation disclosing `disclose` (RFC 9901 §4.3)."""
    issuer_jwt, *disclosures, _ = credential["credential"].split("~")
    kept = [d for d in disclosures if _disclosed_name(d) in disclose]
    presented = "~".join([issuer_jwt, *kept]) + "~"
    if not key_binding:
        return presented
    sd_hash = base64.urlsafe_b64encode(hashlib.sha256(presented.encode()).digest()).rstrip(b"=").decode()
    kb = jwt.encode({"aud": aud, "nonce": nonce, "iat": int(time.time() if iat is None else iat), "sd_hash": sd_hash},
                    credential["holder_key"], algorithm="ES256", headers={"typ": "kb+jwt"})
    return presented + kb


def module_app(database_url: str, pki_directory, instance, **settings):
    """An app for a whole test module (its tests make their own presentation requests, so they can
    share one): the session's development PKI copied into its instance (the verifier certificate's
    issuer), the demo people loaded, its tables emptied before and after. Yields inside its app context."""
    shutil.copytree(pki_directory, instance / "pki")
    app = create_app({"database_url": database_url, "instance_path": instance, "TESTING": True, **settings})
    app.test_client_class = IsolatedClient
    _empty_all_tables(app)
    with app.app_context():
        demo_data.load_people(db.session, services(app).settings.public_base_url)
        yield app
        db.session.remove()
    _empty_all_tables(app)
