"""The credential and notification requests (OpenID4VCI 1.0 §8, §11): check the request, the
result and the key proof, give the credential a place in a status list, sign it, and record it."""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import utcnow
from ..results import audit
from .credential import StatusReference, issue_sd_jwt_vc
from .errors import CredentialRequestError, NotificationError
from .grants import OFFERABLE, consume_nonce
from .keys import IssuerKey
from .metadata import CONFIGURATION_ID
from .models import CredentialAccessToken, IssuedCredential
from .proofs import verify_jwt_proof
from .status_list import allocate_entry, status_list_uri

NOTIFICATION_EVENTS = frozenset({"credential_accepted", "credential_failure", "credential_deleted"})
_ALLOCATION_ATTEMPTS = 5


def _wallet_actor(token: CredentialAccessToken) -> str:
    return f"wallet:offer:{token.offer_id}"


def _single_jwt_proof(body: dict) -> str:
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
    if configuration != CONFIGURATION_ID:
        raise CredentialRequestError("unknown_credential_configuration", f"Only {CONFIGURATION_ID} is offered.")
    proofs = body.get("proofs")
    if proofs is None:
        raise CredentialRequestError("invalid_proof", "The proofs parameter is missing; a jwt key proof is required.")
    if not isinstance(proofs, dict) or len(proofs) != 1:
        raise CredentialRequestError("invalid_proof", "proofs must be an object with exactly one proof type.")
    if "jwt" not in proofs:
        raise CredentialRequestError("invalid_proof", "Only the jwt proof type is supported.")
    jwts = proofs["jwt"]
    if not isinstance(jwts, list) or not jwts:
        raise CredentialRequestError("invalid_proof", "proofs.jwt must be a non-empty array.")
    if len(jwts) > 1:
        raise CredentialRequestError("invalid_proof", "Batch issuance is not supported: send exactly one proof.")
    return jwts[0]


def issue_credential(session: Session, token: CredentialAccessToken, body: object, issuer: str, key: IssuerKey) -> dict:
    """The Credential Response body (§8.3), committed with its bookkeeping and audit event."""
    if not isinstance(body, dict):
        raise CredentialRequestError("invalid_credential_request", "The request body must be a JSON object.")
    proof = _single_jwt_proof(body)
    result = token.offer.result
    if result.status not in OFFERABLE:
        raise CredentialRequestError("credential_request_denied", "This result has been annulled or is not signed.")
    holder = verify_jwt_proof(proof, audience=issuer, now=utcnow(), consume_nonce=lambda nonce: consume_nonce(session, nonce))
    for attempt in range(_ALLOCATION_ATTEMPTS):
        status_list, index = allocate_entry(session)
        record = IssuedCredential(
            result_id=result.id,
            offer_id=token.offer_id,
            status_list_id=status_list.id,
            status_index=index,
            notification_id=secrets.token_urlsafe(16),
            holder_key_thumbprint=holder.thumbprint,
        )
        try:
            with session.begin_nested():
                session.add(record)
        except IntegrityError:  # another worker took the same index meanwhile
            if attempt == _ALLOCATION_ATTEMPTS - 1:
                raise
            continue
        break
    status = StatusReference(status_list_uri(issuer, status_list.id), index)
    credential = issue_sd_jwt_vc(result, issuer, key, holder.public_jwk, status)
    audit.record(
        session,
        _wallet_actor(token),
        "credential.issued",
        result.id,
        status_list=status_list.id,
        status_index=index,
        holder_key=holder.thumbprint,
    )
    session.commit()
    return {"credentials": [{"credential": credential}], "notification_id": record.notification_id}


def record_notification(session: Session, token: CredentialAccessToken, body: object) -> None:
    """Store what the wallet did with the credential (§11); repeating a notification is harmless."""
    if not isinstance(body, dict):
        raise NotificationError("invalid_notification_request", "The request body must be a JSON object.")
    notification_id, event = body.get("notification_id"), body.get("event")
    if not isinstance(notification_id, str) or not isinstance(event, str):
        raise NotificationError("invalid_notification_request", "notification_id and event are required strings.")
    if event not in NOTIFICATION_EVENTS:
        raise NotificationError("invalid_notification_request", f"event must be one of {', '.join(sorted(NOTIFICATION_EVENTS))}.")
    record = session.scalar(
        select(IssuedCredential).where(
            IssuedCredential.notification_id == notification_id, IssuedCredential.offer_id == token.offer_id
        )
    )
    if record is None:
        raise NotificationError("invalid_notification_id", "No credential with this notification_id was issued to this token.")
    if record.notification_event == event:
        return
    record.notification_event = event
    record.notified_at = utcnow()
    audit.record(session, _wallet_actor(token), "credential.notification", record.result_id, notification_event=event)
    session.commit()
