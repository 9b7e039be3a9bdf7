"""Certified copies as credentials: one credential configuration and one `vct` per document type of
the copies' catalogue, beside the administrative result's, so a wallet app and a verifier tell a
certified birth certificate from a diploma by its type."""
from __future__ import annotations

from flask_babel import force_locale

from ..copies.catalogue import DOCUMENT_TYPES, DocumentType
from ..copies.kinds import KIND as COPY
from ..models import Result
from .metadata import CONFIGURATION_ID, vct

PREFIX = "certified_copy_"
COPY_CLAIMS = (
    (("document_type",), "Loại giấy tờ", "Document type"),
    (("document_fields",), "Dữ liệu đã xác nhận", "Confirmed data"),
)
"""Claims a copy has beyond a result's: its type (always visible) and its confirmed data (the holder's
personal data, so selectively disclosable)."""


def configuration_ids() -> tuple[str, ...]:
    """Every credential configuration the issuer offers: the result's, then one per document type."""
    return (CONFIGURATION_ID, *(PREFIX + code for code in DOCUMENT_TYPES))


def document_type_of(result: Result) -> DocumentType | None:
    """The document type of a certified copy; None for any other result."""
    record = getattr(result, "certified_copy_record", None) if result.kind == COPY else None
    return DOCUMENT_TYPES.get(record.document_type) if record is not None else None


def configuration_id(result: Result) -> str:
    document_type = document_type_of(result)
    return CONFIGURATION_ID if document_type is None else PREFIX + document_type.code


def result_vct(issuer: str, result: Result) -> str:
    document_type = document_type_of(result)
    return vct(issuer) if document_type is None else issuer + document_type.vct_path()


def copy_vcts(issuer: str) -> dict[str, DocumentType]:
    """The copies' `vct`s and their document types."""
    return {issuer + t.vct_path(): t for t in DOCUMENT_TYPES.values()}


def _names(document_type: DocumentType) -> tuple[str, str]:
    with force_locale("en"):
        english = str(document_type.name)
    return f"Bản sao chứng thực: {document_type.name_vi}", f"Certified copy: {english}"


def copy_configurations(issuer: str, result_configuration: dict) -> dict[str, dict]:
    """A configuration per document type: the result's, with its own `vct`, scope, names and claims."""
    claims = result_configuration["credential_metadata"]["claims"]
    configurations = {}
    for document_type in DOCUMENT_TYPES.values():
        vietnamese, english = _names(document_type)
        configurations[PREFIX + document_type.code] = {
            **result_configuration,
            "vct": issuer + document_type.vct_path(),
            "scope": PREFIX + document_type.code,
            "credential_metadata": {
                "display": [{"name": vietnamese, "locale": "vi"}, {"name": english, "locale": "en"}],
                "claims": claims + [{"path": list(path), "display": [{"name": vi, "locale": "vi"},
                                                                     {"name": en, "locale": "en"}]}
                                    for path, vi, en in COPY_CLAIMS],
            },
        }
    return configurations


def copy_type_metadata(issuer: str, document_type: DocumentType, result_type: dict) -> dict:
    """SD-JWT VC Type Metadata of one document type's copies: the result's, extending it."""
    vietnamese, english = _names(document_type)
    return {
        **result_type,
        "vct": issuer + document_type.vct_path(),
        "extends": result_type["vct"],
        "name": english,
        "description": "A certified electronic copy of a paper original, signed (PAdES) and hashed.",
        "display": [{"locale": "vi", "name": vietnamese}, {"locale": "en", "name": english}],
        "claims": result_type["claims"] + [
            {"path": list(path), "display": [{"locale": "vi", "label": vi}, {"locale": "en", "label": en}],
             "sd": "always" if path[0] == "document_fields" else "never"}
            for path, vi, en in COPY_CLAIMS],
    }
