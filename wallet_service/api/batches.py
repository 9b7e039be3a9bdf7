"""`POST /api/v1/signing-batches` and `GET /api/v1/signing-batches/{id}` (officials)."""
from __future__ import annotations

from flask import current_app
from marshmallow import Schema, fields

from ..access import OFFICIAL, require_principal
from ..batches import creation, runner
from ..models import BatchItemStatus, Official, SigningBatch, db
from ..platform import jobs
from ..platform.errors import NotFound
from ..platform.json_body import Blueprint
from .schemas import TEXT

blp = Blueprint("batches", __name__, url_prefix="/api/v1", description="Signing batches (officials)")


class BatchRequestSchema(Schema):
    result_ids = fields.List(fields.String(validate=TEXT), required=True)


class BatchItemSchema(Schema):
    result_id = fields.String()
    status = fields.String(metadata={"description": "queued, done or failed"})
    error = fields.String(allow_none=True)


class BatchSchema(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "queued, running or finished"})
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    total = fields.Function(lambda b: len(b.items))
    done = fields.Function(lambda b: sum(i.status == BatchItemStatus.DONE for i in b.items))
    failed = fields.Function(lambda b: sum(i.status == BatchItemStatus.FAILED for i in b.items))
    items = fields.List(fields.Nested(BatchItemSchema))


@blp.route("/signing-batches", methods=["POST"])
@blp.arguments(BatchRequestSchema)
@blp.response(202, BatchSchema)
def create_batch(body):
    """Sign the selected results: the official's signature, then the agency seal."""
    principal = require_principal(OFFICIAL)
    batch = creation.create_batch(db.session, principal, body["result_ids"])
    jobs.runner(current_app).submit(runner.TASK, batch.id)
    return batch


@blp.route("/signing-batches/<batch_id>", methods=["GET"])
@blp.response(200, BatchSchema)
def get_batch(batch_id: str):
    """Progress: total, done, failed, and each result's error."""
    principal = require_principal(OFFICIAL)
    batch = db.session.get(SigningBatch, batch_id)
    # Officials of the same agency see each other's batches (one queue per agency).
    if batch is None or db.session.get(Official, batch.official_id).agency.code not in principal.agency_codes:
        raise NotFound("No such signing batch.")
    return batch
