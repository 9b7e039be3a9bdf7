"""Fixtures for the credential issuer: signed results of the demo citizens, a logged-in citizen
(the documented seam: a `Principal` in the Flask session, plus its CSRF token), a wallet key and
key proofs made the way a wallet makes them."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from wallet_service.access import SESSION_KEY, Principal
from wallet_service.dev import demo as demo_data
from wallet_service.dev.demo import result_pdf
from wallet_service.issuer.proofs import PROOF_TYP
from wallet_service.models import Citizen, Official, Result, db, utcnow
from wallet_service.results.intake import submit_result
from wallet_service.services import services

CITIZEN1 = "022186001234"  # Lê Thị Hoa
CITIZEN2 = "022090004567"  # Phạm Văn Minh
AGENCY1 = "Trung tâm Phục vụ hành chính công phường Hạ Long"


@pytest.fixture(scope="session")
def result_documents() -> tuple[bytes, bytes]:
    """A result PDF and its "signed" version, made once (fpdf with an embedded font is slow)."""
    body = ("Tên hộ kinh doanh: Tạp hoá Hoa Lê", "Vốn kinh doanh: 150.000.000 đồng")
    original = result_pdf(AGENCY1, "Giấy chứng nhận đăng ký hộ kinh doanh", "Lê Thị Hoa", "000.00.15.H40-251117-0001", body)
    signed = result_pdf(AGENCY1, "Giấy chứng nhận đăng ký hộ kinh doanh", "Lê Thị Hoa", "000.00.15.H40-251117-0001", body + ("Đã ký số.",))
    return original, signed


@pytest.fixture
def signed_results(app, demo, result_documents) -> dict[str, Result]:
    return make_signed_results(app, result_documents)


def make_signed_results(app, result_documents: tuple[bytes, bytes]) -> dict[str, Result]:
    """One signed result per demo citizen ID number (the demo people must be loaded), left the way
    the signing engine leaves a result: the signed PDF stored, its hash and signing time on the
    row, status `signed`."""
    original, signed = result_documents
    documents = services(app).documents
    made = {}
    for number, citizen in enumerate(demo_data.CITIZENS, start=1):
        metadata = {
            "dossier_code": f"000.00.15.H40-251120-{number:04d}",
            "procedure_code": "1.001612.000.00.00.H40",
            "procedure_name": "Đăng ký thành lập hộ kinh doanh",
            "citizen_id": citizen.personal_id,
            "citizen_name": citizen.full_name,
            "title": "Giấy chứng nhận đăng ký hộ kinh doanh",
            "agency_code": "000.00.15.H40",
        }
        result, _ = submit_result(db.session, documents, metadata, original, actor="test", max_bytes=len(original) + 1)
        result.signed_sha256 = documents.put(signed)
        result.signed_at = utcnow()
        result.status = "signed"
        made[citizen.personal_id] = result
    db.session.commit()
    return made


def log_in(app, client: FlaskClient, principal: Principal) -> dict[str, str]:
    """Put `principal` in the client's session; returns the headers (CSRF token) a page's script sends."""
    raw = "csrf-" + str(principal.record_id)
    now = int(time.time())
    with client.session_transaction() as session:
        session[SESSION_KEY] = principal.to_session()
        # What wallet_service.auth.sessions.start records at login; its idle/absolute timeouts
        # end a session that lacks it.
        session["auth"] = {"role": principal.kind, "login_at": now, "seen_at": now, "id_token": ""}
        session["csrf_token"] = raw  # what Flask-WTF's generate_csrf keeps in the session
    token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    return {"X-CSRFToken": token}


def citizen_principal(personal_id: str) -> Principal:
    citizen = db.session.scalar(select(Citizen).where(Citizen.personal_id == personal_id))
    return Principal("citizen", citizen.id, citizen.full_name, personal_id=citizen.personal_id)


def official_principal(username: str) -> Principal:
    official = db.session.scalar(select(Official).where(Official.username == username))
    return Principal(
        "official", official.id, official.full_name, agency_codes=frozenset({official.agency.code}), roles=frozenset(official.roles)
    )


@pytest.fixture
def citizen_login(app) -> Callable[[FlaskClient, str], dict[str, str]]:
    return lambda client, personal_id: log_in(app, client, citizen_principal(personal_id))


@dataclass(frozen=True)
class Offer:
    """What the offer API answered, taken apart."""

    uri: str
    offer_url: str
    pre_authorized_code: str
    tx_code: str
    body: dict


def offer_from_response(body: dict) -> Offer:
    parsed = urlparse(body["credential_offer_uri"])
    offer_url = parse_qs(parsed.query)["credential_offer_uri"][0]
    return Offer(body["credential_offer_uri"], offer_url, offer_url.rsplit("/", 1)[1], body["tx_code"], body)


@pytest.fixture
def make_offer(app, citizen_login) -> Callable[..., Offer]:
    """`make_offer(client, result)`: the result's citizen asks for a credential offer."""

    def make(client: FlaskClient, result: Result) -> Offer:
        headers = citizen_login(client, result.citizen.personal_id)
        response = client.post(f"/api/v1/wallet/results/{result.id}/credential-offer", headers=headers)
        assert response.status_code == 201, response.get_json()
        return offer_from_response(response.get_json())

    return make


@dataclass(frozen=True)
class WalletKey:
    """A wallet's holder key and the proofs it makes with it."""

    private_key: ec.EllipticCurvePrivateKey

    @property
    def public_jwk(self) -> dict:
        return jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)

    def proof(self, *, audience: str, nonce: str | None, iat: float | None = None, alg: str = "ES256",
              typ: str = PROOF_TYP, header: dict | None = None, signing_key=None, **claims) -> str:
        payload = {"aud": audience, "iat": int(time.time() if iat is None else iat), **claims}
        if nonce is not None:
            payload["nonce"] = nonce
        headers = {"typ": typ, "jwk": self.public_jwk, **(header or {})}
        return jwt.encode(payload, signing_key or self.private_key, algorithm=alg, headers=headers)


@pytest.fixture
def wallet_key() -> WalletKey:
    return WalletKey(ec.generate_private_key(ec.SECP256R1()))


def issuer_of(app) -> str:
    return services(app).settings.public_base_url.rstrip("/")


@dataclass
class Wallet:
    """The wallet side of the protocol over the Flask test client, one step per method, so a test
    can stop at any step and send something wrong instead."""

    client: FlaskClient
    issuer: str
    key: WalletKey

    def token(self, offer: Offer, tx_code: str | None = "use-offer", **extra):
        data = {"grant_type": "urn:ietf:params:oauth:grant-type:pre-authorized_code", "pre-authorized_code": offer.pre_authorized_code}
        if tx_code is not None:
            data["tx_code"] = offer.tx_code if tx_code == "use-offer" else tx_code
        data.update(extra)
        return self.client.post("/token", data={k: v for k, v in data.items() if v is not None})

    def access_token(self, offer: Offer) -> str:
        response = self.token(offer)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def nonce(self) -> str:
        response = self.client.post("/nonce")
        assert response.status_code == 200
        return response.get_json()["c_nonce"]

    def credential(self, access_token: str | None, body: dict | None = None, proof: str | None = None, **proof_options):
        if body is None:
            if proof is None:
                proof_options.setdefault("audience", self.issuer)
                if "nonce" not in proof_options:
                    proof_options["nonce"] = self.nonce()
                proof = self.key.proof(**proof_options)
            body = {"credential_configuration_id": "administrative_result", "proofs": {"jwt": [proof]}}
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        return self.client.post("/credential", json=body, headers=headers)


@pytest.fixture
def wallet(app, wallet_key) -> Wallet:
    # A client of its own: a wallet app does not share the citizen's browser session.
    return Wallet(app.test_client(), issuer_of(app), wallet_key)


def expire(model, **where) -> None:
    """Push an expiry time of the matching rows into the past."""
    past = utcnow() - dt.timedelta(seconds=1)
    for row in db.session.scalars(select(model).filter_by(**where)):
        row.expires_at = past
    db.session.commit()


# --- high assurance: DPoP proofs, a wallet provider's attestations ---------------------------------


def dpop_proof(key: ec.EllipticCurvePrivateKey, method: str, url: str, *, nonce: str | None = None,
               access_token: str | None = None, jti: str | None = None) -> str:
    """An RFC 9449 DPoP proof as a wallet makes it."""
    claims = {"jti": jti or secrets.token_urlsafe(12), "htm": method, "htu": url, "iat": int(time.time())}
    if nonce is not None:
        claims["nonce"] = nonce
    if access_token is not None:
        claims["ath"] = base64.urlsafe_b64encode(hashlib.sha256(access_token.encode()).digest()).rstrip(b"=").decode()
    public = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return jwt.encode(claims, key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": public})


def _certificate(subject: str, issuer: x509.Name | None, public_key, signing_key, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, ca, ca, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False)
    )
    return builder.sign(signing_key, hashes.SHA256())


@dataclass(frozen=True)
class WalletProvider:
    """A wallet provider: its root (what the issuer trusts) and the attestation key certified under it."""

    roots_file: Path
    key: ec.EllipticCurvePrivateKey
    x5c: tuple[str, ...]
    """The attestation key's certificate (the root left out, as HAIP wants)."""

    def _sign(self, claims: dict, typ: str) -> str:
        return jwt.encode(claims, self.key, algorithm="ES256", headers={"typ": typ, "x5c": list(self.x5c)})

    def wallet_attestation(self, client_id: str, instance_key: ec.EllipticCurvePrivateKey) -> str:
        public = jwt.algorithms.ECAlgorithm.to_jwk(instance_key.public_key(), as_dict=True)
        now = int(time.time())
        claims = {"iss": "https://wallet-provider.example", "sub": client_id, "iat": now, "exp": now + 3600, "cnf": {"jwk": public}}
        return self._sign(claims, "oauth-client-attestation+jwt")

    def key_attestation(self, keys: list[dict], nonce: str | None = None) -> str:
        claims = {"iat": int(time.time()), "attested_keys": keys, "key_storage": ["iso_18045_high"]}
        if nonce is not None:
            claims["nonce"] = nonce
        return self._sign(claims, "key-attestation+jwt")


def attestation_pop(instance_key: ec.EllipticCurvePrivateKey, client_id: str, audience: str) -> str:
    claims = {"iss": client_id, "aud": audience, "jti": secrets.token_urlsafe(12), "iat": int(time.time())}
    return jwt.encode(claims, instance_key, algorithm="ES256", headers={"typ": "oauth-client-attestation-pop+jwt"})


@pytest.fixture(scope="session")
def wallet_provider(tmp_path_factory) -> WalletProvider:
    root_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = _certificate("Wallet provider root (test)", None, root_key.public_key(), root_key, True)
    leaf = _certificate("Wallet provider attestation key (test)", root.subject, key.public_key(), root_key, False)
    roots_file = tmp_path_factory.mktemp("wallet-provider") / "roots.pem"
    roots_file.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    der = base64.b64encode(leaf.public_bytes(serialization.Encoding.DER)).decode()
    return WalletProvider(roots_file, key, (der,))
