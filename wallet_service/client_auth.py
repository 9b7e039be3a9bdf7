"""Case-system authentication: a short-lived JWT bearer assertion signed with the client's
registered key (RFC 7523 style: iss = client name, aud = this service, exp <= 5 min, unique jti).

pyjwt does the signature and claim checks; what no library does for us is tying the accepted
algorithms to the registered key's type and remembering used `jti`s across workers (the database)."""
from __future__ import annotations

import datetime as dt

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import Unauthorized
from .models import ApiClient, UsedAssertion, utcnow

# Clock skew tolerated between the case system and us.
LEEWAY_SECONDS = 30


def _algorithms_for(public_key) -> list[str]:
    if isinstance(public_key, rsa.RSAPublicKey):
        return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return {"secp256r1": ["ES256"], "secp384r1": ["ES384"], "secp521r1": ["ES512"]}[public_key.curve.name]
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return ["EdDSA"]
    raise Unauthorized("The client's registered key type is not supported.")


def authenticate_client(session: Session, token: str, audience: str, max_age: int) -> ApiClient:
    """The client the assertion proves, or `Unauthorized` naming what is wrong with it."""
    try:
        unverified = jwt.decode(token, options={"verify_signature": False})
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthorized("The bearer token is not a well-formed JWT.") from None
    client_name = unverified.get("iss")
    if not isinstance(client_name, str):
        raise Unauthorized("The assertion has no 'iss' naming the client.")
    client = session.scalar(select(ApiClient).where(ApiClient.name == client_name))
    if client is None or not client.active:
        raise Unauthorized(f"Unknown or disabled client '{client_name}'.", "unknown_client")

    public_key = load_pem_public_key(client.public_key_pem.encode())
    allowed = _algorithms_for(public_key)
    if header.get("alg") not in allowed:
        raise Unauthorized(
            f"Algorithm '{header.get('alg')}' is not accepted for this client's key; use one of {', '.join(allowed)}.",
            "invalid_algorithm",
        )
    try:
        claims = jwt.decode(
            token,
            public_key,
            algorithms=allowed,
            audience=audience,
            issuer=client_name,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "aud", "exp", "iat", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The assertion has expired; make a new one for each request.", "expired_token") from None
    except jwt.InvalidAudienceError:
        raise Unauthorized(f"The assertion's 'aud' must be '{audience}'.", "invalid_audience") from None
    except jwt.InvalidSignatureError:
        raise Unauthorized("The assertion's signature does not match the client's registered key.", "invalid_signature") from None
    except jwt.MissingRequiredClaimError as exc:
        raise Unauthorized(f"The assertion lacks the '{exc.claim}' claim.", "invalid_token") from None
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"The assertion is not valid: {exc}.", "invalid_token") from None

    if claims["exp"] - claims["iat"] > max_age:
        raise Unauthorized(f"An assertion may live at most {max_age} seconds (exp - iat).", "token_lifetime_too_long")
    _remember_jti(session, client, str(claims["jti"]), claims["exp"])
    return client


def _remember_jti(session: Session, client: ApiClient, jti: str, exp: int) -> None:
    now = utcnow()
    session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < now - dt.timedelta(seconds=LEEWAY_SECONDS)))
    expires = dt.datetime.fromtimestamp(exp, dt.timezone.utc)
    try:
        # A savepoint: the replay check must not roll back the caller's transaction.
        with session.begin_nested():
            session.add(UsedAssertion(client_id=client.id, jti=jti, expires_at=expires))
    except IntegrityError:
        raise Unauthorized("This assertion was already used; make a new one (new 'jti') for each request.", "replayed_token") from None
    session.commit()
