"""What an external store receives: a JWS (compact, ES256) over a JSON message about one result,
signed with the delivery key whose public half is at `/.well-known/jwks.json`.

The JWS is a JWT with explicit typing (RFC 8725 §3.11: `typ` = `result-delivery+jwt`) so that no
other token of this service (ID tokens, SD-JWT VCs, status lists) can be passed off as a delivery.
`jti` is the delivery's idempotency key, the same on every attempt: the store keeps the first and
acknowledges the others."""
from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from ..issuer.keys import IssuerKey
from ..models import Delivery, Result
from .targets import DeliveryTarget

MESSAGE_TYP = "result-delivery+jwt"
MEDIA_TYPE = "application/jose"  # RFC 7515 §9.2.1: a JWS in compact serialisation
EVENTS = {"signed": "result.signed", "annulled": "result.annulled", "returned": "result.returned"}


def message_claims(delivery: Delivery, result: Result, target: DeliveryTarget, base_url: str, document: bytes | None) -> dict:
    """The message body for one delivery. `document` (the signed PDF) is embedded when given."""
    links = {
        "document": f"{base_url}/api/v1/results/{result.id}/document",
        "verification": f"{base_url}/v/{result.id}",
    }
    claims = {
        "iss": base_url,
        "aud": target.url,
        "iat": int(time.time()),
        "jti": delivery.idempotency_key,
        "event": EVENTS[delivery.event],
        "result": {
            "id": result.id,
            "dossier_code": result.dossier_code,
            "procedure_code": result.procedure_code,
            "procedure_name": result.procedure_name,
            "title": result.title,
            "agency_code": result.agency.code,
            "agency_name": result.agency.name,
            "citizen_id": result.citizen.personal_id,
            "citizen_name": result.citizen_name,
            "issued_on": result.issued_on.isoformat() if result.issued_on else None,
            "signed_at": result.signed_at.isoformat() if result.signed_at else None,
        },
        "document": {"media_type": "application/pdf", "sha256": result.signed_sha256, "url": links["document"]},
        "links": links,
    }
    if delivery.event == "returned":  # never signed: no document, nothing to verify
        claims["result"]["returned_at"] = result.returned_at.isoformat() if result.returned_at else None
        claims["result"]["return_reason"] = result.return_reason
        del claims["document"], claims["links"]
    elif delivery.event == "annulled":
        claims["result"]["annulled_at"] = result.annulled_at.isoformat() if result.annulled_at else None
        claims["result"]["annulment_reason"] = result.annulment_reason
    elif document is not None:
        claims["document"]["content_base64"] = base64.b64encode(document).decode("ascii")
    return claims


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@dataclass(frozen=True)
class MessageSigner:
    """Signs a round's messages with one loaded key: the compact JWS (RFC 7515 §7.1) is put together
    here, as the JOSE libraries would, without their per-message object and key handling (which cost
    more than the signature itself)."""

    private_key: ec.EllipticCurvePrivateKey
    encoded_header: bytes
    """BASE64URL(protected header), the same for every message of the key."""

    @classmethod
    def of(cls, key: IssuerKey) -> "MessageSigner":
        if key.alg != "ES256":
            raise ValueError(f"delivery messages are signed with ES256, not {key.alg}")
        header = json.dumps({"alg": key.alg, "kid": key.kid, "typ": MESSAGE_TYP}, separators=(",", ":"), sort_keys=True)
        return cls(key.jwk.get_op_key("sign"), _b64(header.encode()))

    def sign(self, claims: dict) -> str:
        signing_input = self.encoded_header + b"." + _b64(
            json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())
        r, s = decode_dss_signature(self.private_key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        # JWS ES256: R and S as 32-byte big-endian integers, not DER (RFC 7518 §3.4)
        return (signing_input + b"." + _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))).decode("ascii")
