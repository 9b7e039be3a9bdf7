"""The credential and notification requests (OpenID4VCI 1.0 §8, §11): check the request, the
result and the key proofs (with their key attestations, Appendix D), give each credential of the
batch a place in a status list, sign it, and record it."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import utcnow
from ..results import audit
from .attestations import AttestationError, KeyAttestation, TrustedProviders, verify_key_attestation
from .copy_types import configuration_id
from .credential import StatusReference, issue_sd_jwt_vc
from .errors import CredentialRequestError, NotificationError
from .grants import OFFERABLE, consume_nonce
from .keys import IssuerKey
from .metadata import BATCH_SIZE
from .models import CredentialAccessToken, IssuedCredential
from .proofs import verify_jwt_proof
from .status_list import allocate_entry, status_list_uri


@dataclass(frozen=True)
class ProofContext:
    """What checking a credential request's proofs and writing its credentials depend on."""

    issuer: str
    trusted: TrustedProviders
    """Roots of the wallet providers whose key attestations are accepted."""
    key_attestation_required: bool
    document_uri: Callable[[str], str]
    """The `document.uri` of a credential, from its notification id (a link bound to that credential)."""

NOTIFICATION_EVENTS = frozenset({"credential_accepted", "credential_failure", "credential_deleted"})
_ALLOCATION_ATTEMPTS = 5


def _wallet_actor(token: CredentialAccessToken) -> str:
    return f"wallet:offer:{token.offer_id}"


def _requested_proofs(body: dict, offered: str) -> tuple[str, list]:
    """The proof type and its proofs: up to BATCH_SIZE `jwt` proofs, or one `attestation`."""
    if "credential_response_encryption" in body:
        raise CredentialRequestError("invalid_encryption_parameters", "Encrypted credential responses are not supported.")
    configuration = body.get("credential_configuration_id")
    identifier = body.get("credential_identifier")
    if configuration is not None and identifier is not None:
        raise CredentialRequestError(
            "invalid_credential_request", "Send credential_configuration_id or credential_identifier, not both."
        )
    if identifier is not None:
        # The token endpoint never hands out credential_identifiers (no authorization_details).
        raise CredentialRequestError("unknown_credential_identifier", "No credential_identifier was issued with this token.")
    if configuration is None:
        raise CredentialRequestError("invalid_credential_request", "credential_configuration_id is missing.")
    if configuration != offered:
        # The token's result decides the type: a certified copy is offered as its document type's configuration.
        raise CredentialRequestError("unknown_credential_configuration", f"Only {offered} is offered with this token.")
    proofs = body.get("proofs")
    if proofs is None:
        raise CredentialRequestError("invalid_proof", "The proofs parameter is missing; a jwt key proof is required.")
    if not isinstance(proofs, dict) or len(proofs) != 1:
        raise CredentialRequestError("invalid_proof", "proofs must be an object with exactly one proof type.")
    (kind, items), = proofs.items()
    if kind not in ("jwt", "attestation"):
        raise CredentialRequestError("invalid_proof", "Only the jwt and attestation proof types are supported.")
    if not isinstance(items, list) or not items:
        raise CredentialRequestError("invalid_proof", f"proofs.{kind} must be a non-empty array.")
    if kind == "attestation" and len(items) != 1:
        raise CredentialRequestError("invalid_proof", "proofs.attestation must hold exactly one key attestation.")
    if len(items) > BATCH_SIZE:
        raise CredentialRequestError("invalid_proof", f"A batch may hold at most {BATCH_SIZE} proofs (batch_size).")
    return kind, items


def _attested(token: object, context: ProofContext) -> KeyAttestation:
    try:
        return verify_key_attestation(token, trusted=context.trusted, now=utcnow())
    except AttestationError as exc:
        raise CredentialRequestError("invalid_proof", f"Key attestation refused: {exc}") from None


def _holder_keys(session: Session, kind: str, items: list, context: ProofContext) -> list[tuple[dict, str]]:
    """(public JWK, thumbprint) of each key to bind a credential to, every proof checked."""
    if kind == "attestation":
        attestation = _attested(items[0], context)
        if attestation.nonce is None or not consume_nonce(session, attestation.nonce):
            raise CredentialRequestError("invalid_nonce", "The key attestation must carry a live c_nonce; get a new one.")
        return list(zip(attestation.public_jwks, attestation.thumbprints))[:BATCH_SIZE]
    spent: dict[str, bool] = {}

    def consume_once(nonce: str) -> bool:
        # A batch's proofs share the one c_nonce the wallet fetched: it is spent once for all of them.
        if not spent:
            spent[nonce] = consume_nonce(session, nonce)
        return spent.get(nonce, False)

    holders = []
    for proof in items:
        proven = verify_jwt_proof(proof, audience=context.issuer, now=utcnow(), consume_nonce=consume_once)
        if proven.key_attestation is not None:
            attestation = _attested(proven.key_attestation, context)
            if proven.thumbprint not in attestation.thumbprints:
                raise CredentialRequestError("invalid_proof", "The proof's key is not among the attested keys.")
            if attestation.nonce is not None and attestation.nonce != proven.nonce:
                raise CredentialRequestError("invalid_nonce", "The key attestation's nonce is not the proof's c_nonce.")
        elif context.key_attestation_required:
            raise CredentialRequestError("invalid_proof", "This issuer requires a key attestation in each proof (key_attestation).")
        holders.append((proven.public_jwk, proven.thumbprint))
    if len({thumbprint for _, thumbprint in holders}) != len(holders):
        raise CredentialRequestError("invalid_proof", "Each proof of a batch must be made with a different key.")
    return holders


def _record(session: Session, token: CredentialAccessToken, thumbprint: str, batch_id: str | None) -> IssuedCredential:
    """A new bookkeeping row with a free status list entry drawn for it."""
    for attempt in range(_ALLOCATION_ATTEMPTS):
        status_list, index = allocate_entry(session)
        record = IssuedCredential(
            result_id=token.offer.result_id,
            offer_id=token.offer_id,
            status_list_id=status_list.id,
            status_index=index,
            notification_id=secrets.token_urlsafe(16),
            batch_notification_id=batch_id,
            holder_key_thumbprint=thumbprint,
        )
        try:
            with session.begin_nested():
                session.add(record)
            return record
        except IntegrityError:  # another worker took the same index meanwhile
            if attempt == _ALLOCATION_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def issue_credential(session: Session, token: CredentialAccessToken, body: object, key: IssuerKey,
                     context: ProofContext) -> dict:
    """The Credential Response body (§8.3): one credential per proven key (fresh salts, own status
    entry, so the batch's credentials cannot be linked), committed with bookkeeping and audit."""
    if not isinstance(body, dict):
        raise CredentialRequestError("invalid_credential_request", "The request body must be a JSON object.")
    result = token.offer.result
    kind, items = _requested_proofs(body, configuration_id(result))
    if result.status not in OFFERABLE:
        raise CredentialRequestError("credential_request_denied", "This result has been annulled or is not signed.")
    holders = _holder_keys(session, kind, items, context)
    batch_id = secrets.token_urlsafe(16) if len(holders) > 1 else None
    credentials = []
    for public_jwk, thumbprint in holders:
        record = _record(session, token, thumbprint, batch_id)
        status = StatusReference(status_list_uri(context.issuer, record.status_list_id), record.status_index)
        document_uri = context.document_uri(record.notification_id)
        credentials.append({"credential": issue_sd_jwt_vc(result, context.issuer, key, public_jwk, status, document_uri)})
        audit.record(session, _wallet_actor(token), "credential.issued", result.id, status_list=record.status_list_id,
                     status_index=record.status_index, holder_key=thumbprint)
    session.commit()
    return {"credentials": credentials, "notification_id": batch_id or record.notification_id}


def record_notification(session: Session, token: CredentialAccessToken, body: object) -> None:
    """Store what the wallet did with the credential (§11); repeating a notification is harmless."""
    if not isinstance(body, dict):
        raise NotificationError("invalid_notification_request", "The request body must be a JSON object.")
    notification_id, event = body.get("notification_id"), body.get("event")
    if not isinstance(notification_id, str) or not isinstance(event, str):
        raise NotificationError("invalid_notification_request", "notification_id and event are required strings.")
    if event not in NOTIFICATION_EVENTS:
        raise NotificationError("invalid_notification_request", f"event must be one of {', '.join(sorted(NOTIFICATION_EVENTS))}.")
    records = session.scalars(
        select(IssuedCredential).where(
            or_(IssuedCredential.notification_id == notification_id, IssuedCredential.batch_notification_id == notification_id),
            IssuedCredential.offer_id == token.offer_id,
        )
    ).all()
    if not records:
        raise NotificationError("invalid_notification_id", "No credential with this notification_id was issued to this token.")
    if all(record.notification_event == event for record in records):
        return
    for record in records:
        record.notification_event = event
        record.notified_at = utcnow()
    audit.record(session, _wallet_actor(token), "credential.notification", record.result_id, notification_event=event)
    session.commit()
