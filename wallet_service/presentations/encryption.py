"""Encrypted responses (`direct_post.jwt`, OpenID4VP §8.3, required by HAIP): the request object
carries an ephemeral ECDH-ES P-256 public key, the wallet encrypts its response to it as a JWE, and
the response URI decrypts it.

Each request's key is derived from SECRET_KEY and the request's state (HKDF-SHA256), so no private
key is ever stored: the database holds the state, and only the service can derive the key from it.
The JWE's `kid` is the state, which tells the response URI which request (and key) it is for; the
decrypted payload must then carry that same state. JWE handling is jwcrypto's."""
from __future__ import annotations

import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jwcrypto import jwe as jwcrypto_jwe
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto.common import JWException

DIRECT_POST_JWT = "direct_post.jwt"
KEY_ALG = "ECDH-ES"
CONTENT_ENCRYPTIONS = ("A128GCM", "A256GCM")
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class UndecryptableResponse(ValueError):
    """Not a JWE this verifier can open; the message is plain ASCII."""


def _private_key(secret_key: str, state: str) -> jwcrypto_jwk.JWK:
    material = HKDF(hashes.SHA256(), 48, salt=b"wallet-service openid4vp response key",
                    info=state.encode()).derive(secret_key.encode())
    # 384 bits reduced modulo the 256-bit group order: the bias is negligible (FIPS 186-5 A.4.1).
    scalar = int.from_bytes(material, "big") % (_P256_ORDER - 1) + 1
    return jwcrypto_jwk.JWK.from_pyca(ec.derive_private_key(scalar, ec.SECP256R1()))


def response_jwk(secret_key: str, state: str) -> dict:
    """The public key for `client_metadata.jwks`."""
    public = _private_key(secret_key, state).export_public(as_dict=True)
    return {**public, "kid": state, "use": "enc", "alg": KEY_ALG}


def encryption_metadata(secret_key: str, state: str) -> dict:
    """What `client_metadata` adds for an encrypted response."""
    return {"jwks": {"keys": [response_jwk(secret_key, state)]},
            "encrypted_response_enc_values_supported": list(CONTENT_ENCRYPTIONS)}


def response_state(token: object) -> str:
    """The state a JWE names in its `kid` (read before decrypting, to find the request)."""
    if not isinstance(token, str) or token.count(".") != 4:
        raise UndecryptableResponse("The response must be a JWE in compact serialization.")
    envelope = jwcrypto_jwe.JWE()
    try:
        envelope.deserialize(token)
    except (JWException, ValueError) as exc:
        raise UndecryptableResponse(f"The response is not a readable JWE ({type(exc).__name__}).") from None
    kid = envelope.jose_header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise UndecryptableResponse("The JWE header must name the verifier's key (kid).")
    return kid


def decrypt_response(token: str, secret_key: str, state: str) -> dict:
    """The response parameters inside the JWE encrypted to this request's key."""
    envelope = jwcrypto_jwe.JWE()
    envelope.allowed_algs = [KEY_ALG, *CONTENT_ENCRYPTIONS]
    try:
        envelope.deserialize(token, key=_private_key(secret_key, state))
        payload = json.loads(envelope.payload)
    except (JWException, ValueError, TypeError) as exc:
        raise UndecryptableResponse(
            f"The response cannot be decrypted with this request's key ({type(exc).__name__}).") from None
    if not isinstance(payload, dict) or payload.get("state") != state:
        raise UndecryptableResponse("The decrypted response does not carry the state its key was made for.")
    return payload
