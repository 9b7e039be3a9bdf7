"""marshmallow schemas of the public API; they also feed /api/openapi.json."""
from __future__ import annotations

import datetime as dt
import re

from flask import url_for
from marshmallow import Schema, ValidationError, fields, validate

from ..results import formats
from ..services import services


def _format(check):
    """A marshmallow validator from a `formats.check_*` function (the full check: dates, province codes)."""

    def validator(value):
        try:
            check(value)
        except formats.FormatError as exc:
            raise ValidationError(exc.message) from None

    return validator


TEXT = _format(lambda value: formats.check_text(value, "text"))
"""Validator of free text: no control characters, no unpaired surrogates (see `formats.check_text`)."""


def _pattern(regex) -> dict:
    """The syntax of a format, for /api/openapi.json (its `_format` check says more, e.g. valid dates).
    Group names are dropped: `(?P<name>` is Python's syntax, not ECMA-262's, which JSON Schema uses."""
    return {"pattern": "^(?:" + re.sub(r"\(\?P<\w+>", "(", regex.pattern) + ")$"}


class ResultMetadataSchema(Schema):
    dossier_code = fields.String(
        required=True, validate=_format(formats.check_dossier_code), metadata=_pattern(formats.DOSSIER_CODE)
    )
    procedure_code = fields.String(
        required=True, validate=_format(formats.check_procedure_code), metadata=_pattern(formats.PROCEDURE_CODE)
    )
    procedure_name = fields.String(required=True, validate=[validate.Length(min=1, max=500), TEXT])
    citizen_id = fields.String(
        required=True, validate=_format(formats.check_personal_id), metadata=_pattern(formats.PERSONAL_ID)
    )
    citizen_name = fields.String(required=True, validate=[validate.Length(min=1, max=255), TEXT])
    title = fields.String(required=True, validate=[validate.Length(min=1, max=500), TEXT])
    agency_code = fields.String(
        required=True, validate=_format(formats.check_agency_code), metadata=_pattern(formats.AGENCY_CODE)
    )
    issued_on = fields.Date(load_default=None)
    received_at = fields.AwareDateTime(
        load_default=None, default_timezone=dt.timezone.utc,
        metadata={"description": "When the case system received the dossier (ISO 8601; UTC when no offset is given)"})
    due_at = fields.AwareDateTime(
        load_default=None, default_timezone=dt.timezone.utc,
        metadata={"description": "The dossier's legal deadline: on time when signed and delivered by then"})
    commune_code = fields.String(load_default=None, validate=_format(formats.check_commune_code))
    extra = fields.Dict(keys=fields.String(), load_default=dict, validate=TEXT)


class ResultUploadSchema(Schema):
    """The multipart request: `metadata` is a JSON text of ResultMetadataSchema, `document` the PDF."""

    metadata = fields.Nested(
        ResultMetadataSchema, required=True, metadata={"description": "A part of type application/json (or a JSON text field)"}
    )
    document = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ResultBatchUploadSchema(Schema):
    """The multipart request of a batch: `metadata` is a JSON array of ResultMetadataSchema, `document`
    one PDF part per entry, in the same order."""

    metadata = fields.List(
        fields.Nested(ResultMetadataSchema), required=True, validate=validate.Length(min=1),
        metadata={"description": "A part of type application/json (or a JSON text field): one object per result"},
    )
    document = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}), required=True,
        metadata={"description": "The PDFs, one part named 'document' per metadata entry, in the same order"},
    )


class SignatureSchema(Schema):
    position = fields.Integer()
    role = fields.String(metadata={"description": "official or agency"})
    signer_name = fields.String()
    organization = fields.String(allow_none=True)
    certificate_serial = fields.String()
    certificate_sha256 = fields.String()
    signed_at = fields.DateTime()


class DeliverySchema(Schema):
    target = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    delivered_at = fields.DateTime(allow_none=True)


class ResultSchema(Schema):
    id = fields.String()
    status = fields.String()
    dossier_code = fields.String()
    procedure_code = fields.String()
    procedure_name = fields.String()
    title = fields.String()
    agency_code = fields.String(attribute="agency.code")
    agency_name = fields.String(attribute="agency.name")
    citizen_id = fields.String(attribute="citizen.personal_id")
    citizen_name = fields.String()
    issued_on = fields.Date(allow_none=True)
    commune_code = fields.String(allow_none=True)
    extra = fields.Dict()
    created_at = fields.DateTime()
    signed_at = fields.DateTime(allow_none=True)
    annulled_at = fields.DateTime(allow_none=True)
    annulment_reason = fields.String(allow_none=True)
    returned_at = fields.DateTime(allow_none=True)
    return_reason = fields.String(allow_none=True)
    received_at = fields.DateTime(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    hashes = fields.Method("_hashes")
    signatures = fields.List(fields.Nested(SignatureSchema))
    deliveries = fields.List(fields.Nested(DeliverySchema))
    links = fields.Method("_links")

    def _hashes(self, result):
        return {"original_sha256": result.original_sha256, "signed_sha256": result.signed_sha256}

    def _links(self, result):
        base = services().settings.public_base_url.rstrip("/")
        return {
            "self": url_for("results.get_result", result_id=result.id),
            "document": url_for("results.get_document", result_id=result.id),
            "verification": f"{base}/v/{result.id}",
        }


class ResultBatchItemSchema(Schema):
    created = fields.Boolean(metadata={"description": "False when the dossier was stored before with the same document"})
    result = fields.Nested(ResultSchema)


class ResultBatchSchema(Schema):
    results = fields.List(fields.Nested(ResultBatchItemSchema), metadata={"description": "In the order sent"})


class AgencySchema(Schema):
    code = fields.String()
    name = fields.String()
    province_code = fields.String()
