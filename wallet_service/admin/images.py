"""Officials' signature images and agencies' seal images (Decree 30/2020, Appendix I): uploaded once,
checked as the signing engine will draw them, kept in the document store by their SHA-256."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from signing.appearance import InvalidImage, StampImage

from ..models import Official
from ..platform.storage import DocumentStore
from ..results import audit
from . import agencies, officials
from .errors import AdminError

MESSAGES = {
    "image_not_png": _l("The image is not a PNG file."),
    "image_too_large": _l("The image is larger than 1 MB."),
    "image_dimensions": _l("The image must be 16 to 4000 pixels on each side."),
    "image_not_transparent": _l("The image has no transparent background: save the signature as a PNG with transparency."),
    "image_empty": _l("The image is entirely transparent."),
    "image_missing": _l("Choose a PNG file with your signature on a transparent background."),
}
"""What a person reads for each refusal of `StampImage.from_png`."""


def checked(data: bytes, kind: str) -> StampImage:
    """The image as the signing engine will draw it; an AdminError saying why it cannot be used."""
    try:
        return StampImage.from_png(data, kind)
    except InvalidImage as exc:
        raise AdminError(exc.message) from None


def set_signature_image(session: Session, store: DocumentStore, actor: str, username: str, data: bytes) -> str:
    """Keep `data` as the official's signature image; returns its SHA-256."""
    official = officials.find(session, username)
    checked(data, "signature")
    return keep_signature_image(session, store, actor, official, data)


def keep_signature_image(session: Session, store: DocumentStore, actor: str, official: Official, data: bytes) -> str:
    """The same for an official already found (their own upload): raises InvalidImage, stores nothing, when unusable."""
    StampImage.from_png(data, "signature")
    official.signature_image_sha256 = store.put(data)
    audit.record(session, actor, "official.signature_image_set", username=official.username,
                 sha256=official.signature_image_sha256)
    session.commit()
    return official.signature_image_sha256


def set_seal_image(session: Session, store: DocumentStore, actor: str, code: str, data: bytes) -> str:
    """Keep `data` as the agency's seal image; returns its SHA-256."""
    agency = agencies.find(session, code)
    checked(data, "seal")
    agency.seal_image_sha256 = store.put(data)
    audit.record(session, actor, "agency.seal_image_set", code=code, sha256=agency.seal_image_sha256)
    session.commit()
    return agency.seal_image_sha256


def stored_image(store: DocumentStore, sha256: str | None, kind: str) -> StampImage | None:
    """A stored image, ready for a batch (decoded once per batch); None when there is none."""
    return StampImage.from_png(store.get(sha256), kind) if sha256 else None
