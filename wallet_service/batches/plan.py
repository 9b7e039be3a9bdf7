"""What a signing batch signs and with which keys, as the `signing` pipeline takes it: one item per
result (its original, stamp text with its offline code, and QR link) and the two Decree 30 steps (the official's signature,
then the agency seal). Preparation, authorisation and the signing run all start from here."""
from __future__ import annotations

from collections.abc import Callable, Container, Sequence

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from signing.keys import KeySource
from signing.pipeline import BatchItem, SignatureStep, decree30_steps
from signing.profiles import PadesLevel
from signing.stamp import StampText

from ..admin.images import stored_image
from ..keys.directory import key_directory
from ..models import Official, Result
from ..offline.codes import batch_codes
from ..services import services
from ..verify.access import qr_url


def key_reference(official: Official) -> str:
    """How the key directory names the official's key: as configured, else their username."""
    return official.key_reference or official.username or ""


def official_key(app: Flask, official: Official) -> KeySource:
    """The official's own key source (its `holder_approval` says how they approve a batch)."""
    return key_directory(app).official_key(key_reference(official))


def batch_items(app: Flask, session: Session, official: Official, result_ids: Sequence[str],
                stamped: Container[str] = frozenset()) -> list[BatchItem]:
    """The batch's items. `stamped`: results whose stamped document the journal holds already (its
    first step's prepared ones): their offline codes are not signed again, since no stamp is drawn."""
    settings = services(app).settings
    store = services(app).documents
    results = session.scalars(select(Result).where(Result.id.in_(list(result_ids)))
                              .options(joinedload(Result.citizen))).all()  # the codes' claims read it: one statement
    codes = batch_codes(app, official, [r for r in results if r.id not in stamped])
    return [
        BatchItem(result.id, pdf=_loader(store, result.original_sha256), qr_url=qr_url(settings, result.id),
                  stamp=StampText(official.full_name, official.agency.name, offline_code=codes.get(result.id)))
        for result in results
    ]


def batch_steps(app: Flask, official: Official, official_source: KeySource | None = None) -> list[SignatureStep]:
    """The official's step signs with `official_source` when given (their key with the approval they gave).
    The official's signature image and the agency's seal image are read and decoded here, once a batch."""
    settings = services(app).settings
    store = services(app).documents
    return decree30_steps(
        official_source or official_key(app, official),
        key_directory(app).agency_key(official.agency.code),
        PadesLevel.parse(settings.signature_level),
        signature_image=stored_image(store, official.signature_image_sha256, "signature"),
        seal_image=stored_image(store, official.agency.seal_image_sha256, "seal"),
    )


def _loader(store, digest: str) -> Callable[[], bytes]:
    return lambda: store.get(digest)
