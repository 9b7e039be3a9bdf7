"""Case-system authentication: a short-lived JWT bearer assertion signed with one of the client's
registered active keys (RFC 7523 style: iss = client name, aud = this service, exp <= 5 min, unique
jti; `kid`, when present, is the key's RFC 7638 thumbprint). Two keys are active while a client
changes its key.

pyjwt does the signature and claim checks; what no library does for us is tying the accepted
algorithms to the registered key's type and remembering used `jti`s across workers (the database)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Flask, Response, has_request_context, request
from sqlalchemy import bindparam, delete, event, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import ApiClient, ApiClientKey, UsedAssertion, db, utcnow
from .platform import jobs
from .platform.errors import Unauthorized
from .services import services

# Clock skew tolerated between the case system and us.
LEEWAY_SECONDS = 30
# Where the request's accepted assertion waits for the end of the request (the environ, like
# access.current_principal's cache, because `g` can outlive a request).
_SPENT_KEY = "wallet.spent_assertion"
# Set when the request's transaction was rolled back after the `jti` was added to it.
_ROLLED_BACK_KEY = "wallet.spent_assertion_rolled_back"
# Built once: every bearer call runs them, and composing them cost more CPU than running them.
_CLIENT_AND_KEYS = (
    select(ApiClient, ApiClientKey.kid, ApiClientKey.public_key_pem)
    .outerjoin(ApiClientKey, (ApiClientKey.client_id == ApiClient.id) & ApiClientKey.retired_at.is_(None))
    .where(ApiClient.name == bindparam("name"))
    .order_by(ApiClientKey.id.desc())
)
"""The client and its active keys in one statement (one row per key), newest key first: after a
change, the new key is the likely one."""
_SPEND = {
    name: dialect.insert(UsedAssertion.__table__).on_conflict_do_nothing().returning(UsedAssertion.jti)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
"""INSERT ... ON CONFLICT DO NOTHING RETURNING jti, by database (the clause is not standard SQL)."""


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
        unverified_token = jwt.decode_complete(token, options={"verify_signature": False})
        header, unverified = unverified_token["header"], unverified_token["payload"]
    except jwt.PyJWTError:
        raise Unauthorized("The bearer token is not a well-formed JWT.") from None
    client_name = unverified.get("iss")
    if not isinstance(client_name, str):
        raise Unauthorized("The assertion has no 'iss' naming the client.")
    rows = session.execute(_CLIENT_AND_KEYS, {"name": client_name}).all()
    client = rows[0][0] if rows else None
    if client is None or not client.active:
        raise Unauthorized(f"Unknown or disabled client '{client_name}'.", "unknown_client")
    claims = _verified_claims(token, header, _candidate_keys(client, rows, header), client_name, audience)
    if claims["exp"] - claims["iat"] > max_age:
        raise Unauthorized(f"An assertion may live at most {max_age} seconds (exp - iat).", "token_lifetime_too_long")
    spent = SpentAssertion(client.id, str(claims["jti"]), dt.datetime.fromtimestamp(claims["exp"], dt.timezone.utc))
    if not _record_spent(session, spent):
        raise Unauthorized("This assertion was already used; make a new one (new 'jti') for each request.", "replayed_token")
    request.environ[_SPENT_KEY] = spent
    return client


def _candidate_keys(client: ApiClient, rows, header: dict) -> list:
    """The client's active public keys the assertion may be signed with: the one its `kid` names, or
    each of them (two while the client changes keys) when it names none."""
    rows = [row for row in rows if row.kid is not None]
    kid = header.get("kid")
    if kid is not None:
        rows = [row for row in rows if row.kid == kid]
        if not rows:
            raise Unauthorized(f"The assertion's 'kid' names no active key of client '{client.name}'.", "unknown_key")
    return [load_pem_public_key(row.public_key_pem.encode()) for row in rows]


def _verified_claims(token: str, header: dict, keys: list, client_name: str, audience: str) -> dict:
    """The claims, checked with the first key whose type the algorithm fits and whose signature matches."""
    if not keys:
        raise Unauthorized(f"Client '{client_name}' has no active key.", "unknown_key")
    fitting = [(key, _algorithms_for(key)) for key in keys]
    fitting = [(key, allowed) for key, allowed in fitting if header.get("alg") in allowed]
    if not fitting:
        allowed = sorted({alg for key in keys for alg in _algorithms_for(key)})
        raise Unauthorized(
            f"Algorithm '{header.get('alg')}' is not accepted for this client's key; use one of {', '.join(allowed)}.",
            "invalid_algorithm",
        )
    for index, (public_key, allowed) in enumerate(fitting):
        try:
            return jwt.decode(token, public_key, algorithms=allowed, audience=audience, issuer=client_name,
                              leeway=LEEWAY_SECONDS, options={"require": ["iss", "aud", "exp", "iat", "jti"]})
        except jwt.InvalidSignatureError:
            if index + 1 < len(fitting):
                continue  # the other active key may be the one it was signed with
            raise Unauthorized("The assertion's signature does not match the client's registered key.",
                               "invalid_signature") from None
        except jwt.ExpiredSignatureError:
            raise Unauthorized("The assertion has expired; make a new one for each request.", "expired_token") from None
        except jwt.InvalidAudienceError:
            raise Unauthorized(f"The assertion's 'aud' must be '{audience}'.", "invalid_audience") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"The assertion lacks the '{exc.claim}' claim.", "invalid_token") from None
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"The assertion is not valid: {exc}.", "invalid_token") from None
    raise AssertionError("unreachable: the loop returns or raises")


@dataclass(frozen=True)
class SpentAssertion:
    """A bearer assertion accepted once: its `jti` may never be accepted again."""

    client_id: int
    jti: str
    expires_at: dt.datetime


def _record_spent(session: Session, spent: SpentAssertion) -> bool:
    """Add the `jti` to the request's transaction; False if it is already known. A concurrent request
    with the same `jti` waits on the unique key until this one commits, then finds it."""
    statement = _SPEND.get(session.get_bind().dialect.name)
    if statement is None:
        raise RuntimeError(f"No ON CONFLICT insert for the {session.get_bind().dialect.name} database.")
    recorded = session.scalar(statement, {"client_id": spent.client_id, "jti": spent.jti, "expires_at": spent.expires_at})
    return recorded is not None


def _keep_assertion_spent(response: Response) -> Response:
    """Commit the request's `jti` with the request's own work (one transaction for both: an intake
    is one commit, not two); when the request is refused, its work is rolled back but the `jti`
    stays spent, so a captured assertion cannot be replayed with a corrected payload."""
    spent = request.environ.get(_SPENT_KEY)
    if spent is None:
        return response
    if response.status_code >= 400:
        db.session.rollback()
        _record_spent(db.session, spent)
    elif request.environ.get(_ROLLED_BACK_KEY):  # the work rolled back and retried (an intake race)
        _record_spent(db.session, spent)
    db.session.commit()
    return response


def _note_rollback(session: Session) -> None:
    if has_request_context() and _SPENT_KEY in request.environ:
        request.environ[_ROLLED_BACK_KEY] = True


def forget_expired_assertions(app: Flask, now: dt.datetime | None = None) -> int:
    """Delete the `jti`s whose assertions expired (periodic work; their replay fails on `exp` anyway)."""
    cutoff = (now or utcnow()) - dt.timedelta(seconds=LEEWAY_SECONDS)
    deleted = db.session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < cutoff)).rowcount
    db.session.commit()
    return deleted


def init_app(app: Flask) -> None:
    app.after_request(_keep_assertion_spent)
    if not event.contains(db.session, "after_rollback", _note_rollback):  # once per process, not per app
        event.listen(db.session, "after_rollback", _note_rollback)
    interval = services(app).settings.assertion_cleanup_seconds
    jobs.every(app, "assertion-cleanup", forget_expired_assertions, interval)
