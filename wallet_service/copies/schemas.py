"""marshmallow schemas of the certified copies' API; they also feed /api/openapi.json."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..api.schemas import TEXT, ResultSchema, _format, _pattern
from ..results import formats
from .catalogue import DOCUMENT_TYPES, FIELDS


class CopyMetadataSchema(Schema):
    citizen_id = fields.String(
        required=True, validate=_format(formats.check_personal_id), metadata=_pattern(formats.PERSONAL_ID)
    )
    citizen_name = fields.String(required=True, validate=[validate.Length(min=1, max=255), TEXT])
    document_type = fields.String(required=True, metadata={"enum": sorted(DOCUMENT_TYPES)})
    title = fields.String(required=True, validate=[validate.Length(min=1, max=500), TEXT])
    agency_code = fields.String(
        required=True, validate=_format(formats.check_agency_code), metadata=_pattern(formats.AGENCY_CODE)
    )
    original_number = fields.String(load_default=None, validate=[validate.Length(min=1, max=64), TEXT])
    issued_by = fields.String(load_default=None, validate=[validate.Length(min=1, max=255), TEXT])


class CopyUploadSchema(Schema):
    """`metadata` (JSON) and either `page` parts (JPEG, PNG or TIFF scans, in page order) or one `document` (PDF)."""

    metadata = fields.Nested(CopyMetadataSchema, required=True)
    page = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}))
    document = fields.Raw(metadata={"type": "string", "format": "binary"})


class CopyFieldsSchema(Schema):
    """The fields of a digitised document (dates YYYY-MM-DD); null when not read or not confirmed."""

    holder_name = fields.String(allow_none=True)
    personal_id = fields.String(allow_none=True)
    birth_date = fields.String(allow_none=True)
    document_number = fields.String(allow_none=True)
    issue_date = fields.String(allow_none=True)
    issuer = fields.String(allow_none=True)


class CopySchema(ResultSchema):
    """A certified copy: a result of kind `certified_copy`, with what the digitisation added."""

    copy = fields.Method("_copy")

    def _copy(self, result):
        record = result.certified_copy_record
        certification = None
        if record.certification_number is not None:
            certification = {"number": record.certification_number, "book": record.book_number,
                             "certified_by": record.certified_by.full_name if record.certified_by else None}
        return {
            "document_type": record.document_type,
            "page_count": record.page_count,
            "text_layer": record.text_layer,
            "extracted_fields": {name: record.extracted.get(name) for name in FIELDS},
            "confirmed_fields": ({name: record.confirmed.get(name) for name in FIELDS} if record.confirmed else None),
            "certification": certification,
        }


class ShareRequestSchema(Schema):
    copy_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    agency_code = fields.String(required=True, validate=_format(formats.check_agency_code))
    valid_until = fields.AwareDateTime(required=True, default_timezone=None,
                                       metadata={"description": "ISO 8601 with a UTC offset; at most 365 days ahead"})


class ShareReadSchema(Schema):
    at = fields.DateTime()
    client = fields.String()


class ShareSchema(Schema):
    id = fields.String()
    copy_id = fields.String()
    title = fields.String()
    agency_code = fields.String()
    agency_name = fields.String()
    valid_until = fields.DateTime()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    reads = fields.List(fields.Nested(ShareReadSchema), metadata={"description": "Every read by a case system"})


class SharedDocumentSchema(Schema):
    share_id = fields.String()
    copy_id = fields.String()
    title = fields.String()
    document_type = fields.String()
    citizen_id = fields.String()
    confirmed_fields = fields.Nested(CopyFieldsSchema)
    certification = fields.Dict()
    valid_until = fields.DateTime()
    document = fields.Dict(metadata={"description": "sha256, media_type and the signed PDF as base64"})
