"""Case systems and digitisation stations (API clients) and their public keys. A client changes its
key without a pause: the new key is added while the old one still works (two active at once), the
client switches, then the old key is retired. Each change is audited."""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from jwt.algorithms import get_default_algorithms
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Agency, ApiClient, ApiClientKey, utcnow
from ..results import audit
from .errors import AdminError

MAX_ACTIVE_KEYS = 2
"""The old key and the new one, during a change; a third is refused (retire one first)."""
_JWK_ALGORITHMS = ("ES256", "RS256", "EdDSA")  # one per key type pyjwt can express as a JWK


@dataclass(frozen=True)
class ClientKeyView:
    client: str
    kid: str
    added_at: str
    retired_at: str | None


def thumbprint(public_pem: str) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of a PEM public key: the `kid` a client puts in
    its assertions' header. pyjwt makes the JWK; the RFC's hashing of its required members is ours."""
    key = serialization.load_pem_public_key(public_pem.encode())
    for name in _JWK_ALGORITHMS:
        try:
            jwk = json.loads(get_default_algorithms()[name].to_jwk(key))
        except Exception:  # pyjwt raises different errors per algorithm for a key of another type
            continue
        members = {k: jwk[k] for k in ("crv", "e", "kty", "n", "x", "y") if k in jwk}
        digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    raise AdminError("the public key is neither RSA, EC (P-256, P-384, P-521) nor Ed25519")


def read_public_key(data: bytes) -> str:
    """A PEM public key as stored (SubjectPublicKeyInfo), or an `AdminError` saying what is wrong."""
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise AdminError("--public-key: not a PEM public key (-----BEGIN PUBLIC KEY-----)") from None
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    thumbprint(pem)  # refuses a key type assertions cannot use
    return pem


def find(session: Session, name: str) -> ApiClient:
    client = session.scalar(select(ApiClient).where(ApiClient.name == name))
    if client is None:
        raise AdminError(f"no client '{name}' (add it with `wallet-service clients add`)")
    return client


def add_client(session: Session, actor: str, name: str, agency_codes: tuple[str, ...], public_pem: str) -> ApiClient:
    """Register a client with its first key; no agency codes means every registered agency."""
    if session.scalar(select(ApiClient).where(ApiClient.name == name)):
        raise AdminError(f"client '{name}' exists already (a new key: `wallet-service clients keys add`)")
    known = set(session.scalars(select(Agency.code)))
    codes = list(agency_codes) or sorted(known)
    unknown = sorted(set(codes) - known)
    if unknown:
        raise AdminError(f"unknown agency code(s): {', '.join(unknown)} (see `wallet-service agencies list`)")
    client = ApiClient(name=name, agency_codes=codes,
                       keys=[ApiClientKey(kid=thumbprint(public_pem), public_key_pem=public_pem)])
    session.add(client)
    audit.record(session, actor, "client.added", name=name, agencies=codes, kid=client.keys[0].kid)
    session.commit()
    return client


def active_keys(client: ApiClient) -> list[ApiClientKey]:
    return [key for key in client.keys if key.retired_at is None]


def add_key(session: Session, actor: str, name: str, public_pem: str) -> ClientKeyView:
    client = find(session, name)
    kid = thumbprint(public_pem)
    if any(key.kid == kid for key in client.keys):
        raise AdminError(f"client '{name}' has this key already (kid {kid})")
    if len(active_keys(client)) >= MAX_ACTIVE_KEYS:
        raise AdminError(f"client '{name}' has {MAX_ACTIVE_KEYS} active keys already; "
                         "retire the old one first (`wallet-service clients keys retire`)")
    key = ApiClientKey(kid=kid, public_key_pem=public_pem)
    client.keys.append(key)
    audit.record(session, actor, "client.key_added", name=name, kid=kid)
    session.commit()
    return _key_view(client, key)


def retire_key(session: Session, actor: str, name: str, kid: str) -> ClientKeyView:
    client = find(session, name)
    active = active_keys(client)
    key = next((k for k in active if k.kid == kid), None)
    if key is None:
        raise AdminError(f"client '{name}' has no active key {kid} (see `wallet-service clients keys list {name}`)")
    if len(active) == 1:
        raise AdminError(f"{kid} is the only active key of '{name}': add its new key first")
    key.retired_at = utcnow()
    audit.record(session, actor, "client.key_retired", name=name, kid=kid)
    session.commit()
    return _key_view(client, key)


def list_keys(session: Session, name: str) -> list[ClientKeyView]:
    client = find(session, name)
    return [_key_view(client, key) for key in client.keys]


def _key_view(client: ApiClient, key: ApiClientKey) -> ClientKeyView:
    return ClientKeyView(client.name, key.kid, key.added_at.strftime("%d/%m/%Y %H:%M"),
                         key.retired_at.strftime("%d/%m/%Y %H:%M") if key.retired_at else None)
