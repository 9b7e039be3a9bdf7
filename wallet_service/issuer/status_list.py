"""Token Status List (draft-ietf-oauth-status-list): where each credential's status lives, the
list's compressed encoding, the signed Status List Token, and revocation.

Statuses are one bit (0 VALID, 1 INVALID). A credential is INVALID when it was revoked on its own
or its result was annulled; the bits are computed from those rows each time the list is served,
so annulment needs no read-modify-write of a shared bitstring. No maintained Python package does
the encoding (the npm `@sd-jwt/jwt-status-list` is the reference); it is a few lines of zlib."""
from __future__ import annotations

import base64
import secrets
import zlib
from collections.abc import Iterable

import jwt
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..models import Result, ResultStatus, utcnow
from .keys import IssuerKey
from .models import IssuedCredential, StatusList

VALID = 0
INVALID = 1
LIST_SIZE = 1 << 17
"""Entries per list: 16 KiB uncompressed, a few hundred bytes compressed while mostly valid."""
FILL_LIMIT = 2
"""A new list is opened once 1/FILL_LIMIT of the current one is used, so a random draw rarely collides."""
TOKEN_TTL = 300
"""Seconds a relying party may cache a Status List Token (its `ttl`)."""
TOKEN_LIFETIME = 24 * 3600
"""Seconds until a served Status List Token expires (its `exp`)."""
MEDIA_TYPE = "application/statuslist+jwt"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def encode_status_list(entries: Iterable[tuple[int, int]], size: int, bits: int = 1) -> dict:
    """The JSON `status_list` object (TSL §4.1, §4.2) for (index, status) pairs; others are 0."""
    if bits not in (1, 2, 4, 8):
        raise ValueError("bits must be 1, 2, 4 or 8")
    per_byte = 8 // bits
    raw = bytearray(-(-size // per_byte))
    for index, status in entries:
        if not 0 <= index < size or not 0 <= status < (1 << bits):
            raise ValueError(f"entry ({index}, {status}) does not fit a {size}-entry list of {bits}-bit statuses")
        raw[index // per_byte] |= status << ((index % per_byte) * bits)
    return {"bits": bits, "lst": _b64url(zlib.compress(bytes(raw), 9))}


def read_status(status_list: dict, index: int) -> int:
    """The status at `index` of a JSON `status_list` object (what a relying party does)."""
    bits = status_list["bits"]
    lst = status_list["lst"]
    raw = zlib.decompress(base64.urlsafe_b64decode(lst + "=" * (-len(lst) % 4)))
    per_byte = 8 // bits
    if not 0 <= index < len(raw) * per_byte:
        raise IndexError(f"index {index} is outside the status list")
    return (raw[index // per_byte] >> ((index % per_byte) * bits)) & ((1 << bits) - 1)


def _open_list(session: Session) -> StatusList:
    current = session.scalar(select(StatusList).order_by(StatusList.id.desc()).limit(1))
    if current is not None:
        used = session.scalar(select(func.count()).where(IssuedCredential.status_list_id == current.id))
        if used * FILL_LIMIT < current.size:
            return current
    current = StatusList(bits=1, size=LIST_SIZE)
    session.add(current)
    session.flush()
    return current


def allocate_entry(session: Session) -> tuple[StatusList, int]:
    """A free (list, index) drawn at random, so indices say nothing about issuance order. The
    unique constraint on (list, index) settles the rare race between two workers."""
    status_list = _open_list(session)
    while True:
        index = secrets.randbelow(status_list.size)
        taken = session.scalar(
            select(IssuedCredential.id).where(
                IssuedCredential.status_list_id == status_list.id, IssuedCredential.status_index == index
            )
        )
        if taken is None:
            return status_list, index


def status_list_uri(issuer: str, list_id: int) -> str:
    return f"{issuer}/status-lists/{list_id}"


def invalid_indices(session: Session, list_id: int) -> list[int]:
    """Indices of credentials revoked on their own or whose result was annulled."""
    return list(
        session.scalars(
            select(IssuedCredential.status_index)
            .join(Result, Result.id == IssuedCredential.result_id)
            .where(
                IssuedCredential.status_list_id == list_id,
                or_(IssuedCredential.revoked_at.is_not(None), Result.status == ResultStatus.ANNULLED),
            )
        )
    )


def status_list_token(session: Session, status_list: StatusList, issuer: str, key: IssuerKey) -> str:
    """The signed Status List Token in JWT format (TSL §5.1), current as of now."""
    now = int(utcnow().timestamp())
    entries = ((index, INVALID) for index in invalid_indices(session, status_list.id))
    payload = {
        "iss": issuer,
        "sub": status_list_uri(issuer, status_list.id),
        "iat": now,
        "exp": now + TOKEN_LIFETIME,
        "ttl": TOKEN_TTL,
        "status_list": encode_status_list(entries, status_list.size, status_list.bits),
    }
    return jwt.encode(payload, key.private_pem, algorithm=key.alg, headers=key.headers("statuslist+jwt"))


def annul_credentials(session: Session, result: Result) -> int:
    """Mark every credential issued for `result` INVALID in its status list; returns how many.

    Called by the annulment code inside its transaction. (Lists already read INVALID for a result
    whose status is `annulled`; this records the revocation per credential as well, and covers
    revocations that are not annulments.)"""
    outcome = session.execute(
        update(IssuedCredential)
        .where(IssuedCredential.result_id == result.id, IssuedCredential.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return outcome.rowcount or 0
