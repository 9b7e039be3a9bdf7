"""The service's trust list for offline codes: every agency's current signing certificate and the
annulled results, signed with the service's key (the credential issuer's ES256 key, published at
`/.well-known/jwt-vc-issuer`)."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from offline_qr import TrustedKey, TrustList

from ..keys.directory import key_directory
from ..keys.errors import KeyUnavailable
from ..models import Agency, Result, ResultStatus, utcnow
from ..services import services


def current_trust_list(app: Flask, session: Session) -> TrustList:
    keys = key_directory(app)
    trusted = []
    for agency in session.scalars(select(Agency).order_by(Agency.code)):
        try:
            certificate = keys.agency_key(agency.code).identity().certificate
        except KeyUnavailable:
            continue  # an agency without a seal signs nothing, so no code of it exists
        trusted.append(TrustedKey(agency.code, agency.name, certificate.dump()))
    annulled = session.scalars(select(Result.id).where(Result.status == ResultStatus.ANNULLED))
    return TrustList(utcnow().replace(microsecond=0), tuple(trusted), frozenset(annulled))


def signed_trust_list(app: Flask, session: Session) -> str:
    key = services(app).issuer_key.load()
    issuer = services(app).settings.public_base_url.rstrip("/")
    return current_trust_list(app, session).sign(issuer, key.private_pem, key.kid)


def service_public_keys(app: Flask) -> dict[str, object]:
    """The keys a trust list of this service may be signed with, by `kid`."""
    key = services(app).issuer_key.load()
    return {key.kid: key.jwk.export_to_pem().decode()}
