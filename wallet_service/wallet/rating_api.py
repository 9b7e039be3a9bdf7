"""`POST /api/v1/wallet/results/{id}/rating`: the logged-in citizen rates one of their delivered results."""
from __future__ import annotations

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..access import CITIZEN, require_principal
from ..models import db, utcnow
from ..platform.errors import BadRequest
from .ratings import CHANGE_DAYS, MAX_COMMENT, rate

blp = Blueprint("wallet_ratings", __name__, url_prefix="/api/v1/wallet", description="Citizens' ratings of their results")


class RatingRequestSchema(Schema):
    stars = fields.Integer(required=True, metadata={"minimum": 1, "maximum": 5})
    comment = fields.String(allow_none=True, metadata={"maxLength": MAX_COMMENT})


class RatingSchema(Schema):
    stars = fields.Integer()
    comment = fields.String(allow_none=True)
    rated_at = fields.DateTime()
    updated_at = fields.DateTime()
    changeable_until = fields.DateTime(metadata={"description": f"{CHANGE_DAYS} days after the first rating"})


@blp.route("/results/<result_id>/rating", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": RatingRequestSchema}}})
@blp.response(201, RatingSchema, description="Rated")
@blp.alt_response(200, schema=RatingSchema, description="The rating was changed")
@blp.alt_response(404, description="No such result among the citizen's own")
@blp.alt_response(409, description="Not delivered, or the rating can no longer be changed")
@blp.alt_response(422, description="Stars not from 1 to 5, or the comment too long")
def rate_result(result_id: str):
    """Rate a delivered result: 1 to 5 stars and an optional comment; changeable for 7 days."""
    principal = require_principal(CITIZEN)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Send a JSON object {\"stars\": 1..5, \"comment\": \"...\"}.", "invalid_request")
    rating, created = rate(db.session, principal, result_id, body.get("stars"), body.get("comment"), utcnow())
    return rating, 201 if created else 200
