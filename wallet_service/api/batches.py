"""Signing batches (officials): create one, approve it with the official's own credential, follow it.

`POST /api/v1/signing-batches` answers `201` `awaiting_authorisation` when the official's key needs
their approval (`authorisation.method`: `csc`, PIN and one-time code; `agent`, their USB token through
`wallet-service agent`), or `202` `signing` when it does not (agency-held keys in development)."""
from __future__ import annotations

import base64

from flask import current_app
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from signing.keys import HolderApproval, HolderSecrets

from ..access import OFFICIAL, require_principal
from ..batches import approval, authorisation, creation, preparation, runner
from ..batches.plan import official_key
from ..models import BatchItemStatus, BatchStatus, Official, SigningBatch, db
from ..platform import jobs
from ..platform.errors import NotFound, Unprocessable
from ..platform.json_body import Blueprint
from .schemas import TEXT

blp = Blueprint("batches", __name__, url_prefix="/api/v1", description="Signing batches (officials)")

_PHASE = {BatchStatus.QUEUED: "signing", BatchStatus.RUNNING: "signing"}


class BatchRequestSchema(Schema):
    result_ids = fields.List(fields.String(validate=TEXT), required=True)


class BatchItemSchema(Schema):
    result_id = fields.String()
    status = fields.String(metadata={"description": "queued, done, failed, or released (back in the queue unsigned)"})
    error = fields.String(allow_none=True)


class AuthorisationSchema(Schema):
    method = fields.String(attribute="authorisation", metadata={"description": "csc (PIN and one-time code) or agent"})
    ready = fields.Function(lambda b: b.prepared_at is not None,
                            metadata={"description": "the documents are prepared: the official can approve them"})
    expires_at = fields.DateTime(attribute="authorise_by", allow_none=True,
                                 metadata={"description": "unless approved by then, the results go back to the queue"})
    authorised_at = fields.DateTime(allow_none=True)
    note = fields.String(allow_none=True, metadata={"description": "why the batch waits, e.g. authorisation_expired"})
    nonce = fields.String(attribute="agent_nonce", allow_none=True,
                          metadata={"description": "agent: what the official's agent must echo with its signatures"})


class BatchSchema(Schema):
    id = fields.String()
    status = fields.Function(lambda b: _PHASE.get(b.status, b.status),
                             metadata={"description": "awaiting_authorisation, signing, finished or expired"})
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    total = fields.Function(lambda b: len(b.items))
    done = fields.Function(lambda b: sum(i.status == BatchItemStatus.DONE for i in b.items))
    failed = fields.Function(lambda b: sum(i.status == BatchItemStatus.FAILED for i in b.items))
    authorisation = fields.Function(lambda b: AuthorisationSchema().dump(b) if b.authorisation else None)
    items = fields.List(fields.Nested(BatchItemSchema))


class AgentSignatureSchema(Schema):
    result_id = fields.String(required=True, validate=TEXT)
    signature = fields.String(required=True, validate=validate.Length(min=1, max=4096),
                              metadata={"description": "Base64 signature value over the result's digest"})


class ApprovalSchema(Schema):
    pin = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "csc: the official's PIN"})
    otp = fields.String(validate=validate.Length(min=1, max=16), metadata={"description": "csc: the one-time code"})
    nonce = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "agent: the batch's nonce"})
    signatures = fields.List(fields.Nested(AgentSignatureSchema), validate=validate.Length(max=creation.MAX_BATCH),
                             metadata={"description": "agent: one signature per digest"})


class DigestSchema(Schema):
    result_id = fields.String()
    digest = fields.String(metadata={"description": "Base64 SHA-256 to-be-signed digest"})


class ToSignSchema(Schema):
    batch = fields.String(attribute="batch_id")
    nonce = fields.String()
    digest_algorithm = fields.Constant(authorisation.DIGEST_ALGORITHM)
    digests = fields.Function(lambda t: [{"result_id": rid, "digest": _b64(d)} for rid, d in t.digests])


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@blp.route("/signing-batches", methods=["POST"])
@blp.arguments(BatchRequestSchema)
@blp.response(202, BatchSchema, description="Signing started (a key that needs no one's approval)")
@blp.alt_response(201, schema=BatchSchema, description="Awaiting the official's authorisation")
def create_batch(body):
    """Sign the selected results: the official's signature, then the agency seal."""
    principal = require_principal(OFFICIAL)
    app = current_app._get_current_object()
    official = db.session.get(Official, principal.record_id)
    needs = official_key(app, official).holder_approval if official is not None else None
    batch = creation.create_batch(db.session, principal, body["result_ids"], needs,
                                  approval.approval_deadline(app) if needs else None)
    if needs is None:
        jobs.runner(app).submit(runner.TASK, batch.id)
        return batch
    jobs.runner(app).submit(preparation.TASK, batch.id)
    return batch, 201


@blp.route("/signing-batches/<batch_id>", methods=["GET"])
@blp.response(200, BatchSchema)
def get_batch(batch_id: str):
    """Progress: total, done, failed, each result's error, and what approval it waits for."""
    principal = require_principal(OFFICIAL)
    batch = db.session.get(SigningBatch, batch_id)
    # Officials of the same agency see each other's batches (one queue per agency).
    if batch is None or db.session.get(Official, batch.official_id).agency.code not in principal.agency_codes:
        raise NotFound("No such signing batch.")
    return batch


@blp.route("/signing-batches/<batch_id>/digests", methods=["GET"])
@blp.response(200, ToSignSchema)
def get_digests(batch_id: str):
    """agent: the digests the official's token is to sign, with the nonce its agent must echo (409 not_ready
    while the documents are prepared)."""
    principal = require_principal(OFFICIAL)
    batch = authorisation.awaiting(current_app._get_current_object(), db.session, principal, batch_id)
    return authorisation.to_sign(current_app._get_current_object(), batch)


@blp.route("/signing-batches/<batch_id>/authorisation", methods=["POST"])
@blp.arguments(ApprovalSchema)
@blp.response(202, BatchSchema)
def authorise_batch(body, batch_id: str):
    """The official approves their batch: `{"pin", "otp"}` (csc) or `{"nonce", "signatures"}` (agent).
    A wrong PIN or code: 403 `authorisation_refused` with `remaining_attempts`; nothing is signed and the
    results stay in the queue."""
    principal = require_principal(OFFICIAL)
    app = current_app._get_current_object()
    batch = authorisation.own_batch(db.session, principal, batch_id)
    if batch.authorisation == HolderApproval.AGENT:
        if "nonce" not in body or "signatures" not in body:
            raise Unprocessable(_("Send the nonce and the signatures your signing agent returned."), "missing_signatures")
        return authorisation.approve_with_signatures(app, db.session, principal, batch_id, body["nonce"],
                                                     body["signatures"])
    if "pin" not in body or "otp" not in body:
        raise Unprocessable(_("Enter your PIN and the one-time code."), "missing_codes")
    return authorisation.approve_with_codes(app, db.session, principal, batch_id, HolderSecrets(body["pin"], body["otp"]))
