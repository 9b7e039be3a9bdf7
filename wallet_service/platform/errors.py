"""API errors: each class carries its HTTP status and a stable machine code; the message is for a
person. Rendered as `{"error": code, "message": text}` for API callers; a browser gets the site's
error page (`error_pages`)."""
from __future__ import annotations

import flask_smorest
from flask import Flask, jsonify
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from .error_pages import page_for, prefers_html, render_error_page, wants_json


class ApiError(Exception):
    status = 400
    code = "invalid_request"

    def __init__(self, message: str, code: str | None = None, *, details: dict | None = None,
                 extra: dict | None = None):
        """`extra`: fields beside `error` and `message` that a client acts on (`remaining_attempts`)."""
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}
        self.extra = extra or {}


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401
    code = "invalid_token"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class Gone(ApiError):
    status = 410
    code = "gone"


class PayloadTooLarge(ApiError):
    status = 413
    code = "document_too_large"


class Unprocessable(ApiError):
    status = 422
    code = "invalid_document"


class TooManyRequests(ApiError):
    status = 429
    code = "too_many_requests"

    def __init__(self, retry_after: int):
        super().__init__("Too many requests; try again later.")
        self.retry_after = retry_after


class BadGateway(ApiError):
    """A service we depend on answered with something we cannot use."""

    status = 502
    code = "bad_gateway"


class ServiceUnavailable(ApiError):
    status = 503
    code = "service_unavailable"


class ErrorSchema(Schema):
    """What every error answer carries (documented in /api/openapi.json as the default response)."""

    error = fields.String(required=True, metadata={"description": "Stable machine code, e.g. invalid_metadata"})
    message = fields.String(required=True, metadata={"description": "What went wrong, for a person"})
    details = fields.Dict(metadata={"description": "Per-field messages or the offending items, when there are any"})
    request_id = fields.String(metadata={"description": "This request's id (also the X-Request-ID header): quote it "
                                                        "when reporting a problem"})
    remaining_attempts = fields.Integer(metadata={"description": "A refused PIN or one-time code: tries left before "
                                                                 "the signing credential locks, when known"})


class Api(flask_smorest.Api):
    """flask-smorest's Api whose documented error body is ours, not its `{code, status, message}`."""

    ERROR_SCHEMA = ErrorSchema


def error_response(status: int, code: str, message: str, details: dict | None = None, extra: dict | None = None):
    from .logs import request_id  # the id a complaint quotes to find this answer's log lines

    body = {"error": code, "message": message, **(extra or {}), "request_id": request_id()}
    if details:
        body["details"] = details
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = f'Bearer error="{code}"'
    return response


# Werkzeug's own exceptions (routing, size limits) named in the API's vocabulary.
_HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "document_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}


def _limit_mb(app: Flask) -> int:
    return app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)


def _page(app: Flask, status: int, code: str, detail: str | None, headers: dict[str, str] | None = None):
    return render_error_page(page_for(status, _limit_mb(app)), status, code, detail, headers)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        if prefers_html():
            return _page(app, exc.status, exc.code, exc.message, headers)
        response = error_response(exc.status, exc.code, exc.message, exc.details, exc.extra)
        response.headers.update(headers or {})
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        if exc.code is None:
            return exc
        if not wants_json():
            # Allow (405) and the like travel with the page; the content type is the page's own.
            headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
            code = "internal_error" if exc.code >= 500 else _HTTP_CODES.get(exc.code, "error")
            return _page(app, exc.code, code, None if exc.code >= 500 else exc.description, headers)
        if exc.code >= 500:
            return exc
        details = None
        # flask-smorest/webargs put field messages in exc.data["messages"].
        data = getattr(exc, "data", None)
        if isinstance(data, dict) and data.get("messages"):
            details = data["messages"]
        message = exc.description or exc.name
        if exc.code == 413:
            message = f"The upload is larger than the {_limit_mb(app)} MB limit."
        return error_response(exc.code, _HTTP_CODES.get(exc.code, "error"), message, details)
