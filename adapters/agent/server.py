"""The agent's HTTP API (werkzeug): ``GET /v1/certificate``, ``POST /v1/sign``, CORS preflight.

One request at a time (the server is not threaded): a token session is not shared between
threads, and a confirmation prompt on the terminal must not interleave with another.
"""

from __future__ import annotations

import json
from typing import Callable

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from .guard import OriginGuard
from .protocol import MAX_BODY_BYTES, MAX_DIGESTS, AgentError, NonceRegistry, parse_sign_request
from .token import TokenSigner, b64

Confirm = Callable[[str], bool]

_ROUTES = Map([
    Rule("/v1/certificate", endpoint="certificate", methods=["GET"]),
    Rule("/v1/sign", endpoint="sign", methods=["POST"]),
])


class _Request(Request):
    max_content_length = MAX_BODY_BYTES


def json_response(body: dict, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status,
                    content_type="application/json; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


class AgentApp:
    """WSGI application: guard first (every method, every path), then the endpoint."""

    def __init__(self, signer: TokenSigner, guard: OriginGuard, confirm: Confirm | None = None,
                 max_digests: int = MAX_DIGESTS):
        self.signer, self.guard, self.confirm = signer, guard, confirm
        self.max_digests = max_digests
        self.nonces = NonceRegistry()

    def __call__(self, environ, start_response):
        request = _Request(environ)
        try:
            self.guard.check(request)
        except AgentError as refused:
            return json_response(refused.body(), refused.status)(environ, start_response)
        if request.method == "OPTIONS":
            return self.guard.preflight()(environ, start_response)
        return self.guard.allow(self._dispatch(request))(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        try:
            endpoint, _ = _ROUTES.bind_to_environ(request.environ).match()
            return getattr(self, endpoint)(request)
        except AgentError as e:
            return json_response(e.body(), e.status)
        except HTTPException as e:
            code = (e.name or "http_error").lower().replace(" ", "_")
            return json_response({"error": code, "message": f"Yêu cầu bị từ chối. / {e.description}"}, e.code or 400)

    def certificate(self, request: Request) -> Response:
        return json_response(self.signer.describe())

    def sign(self, request: Request) -> Response:
        if request.mimetype != "application/json":
            raise AgentError(415, "unsupported_media_type", "Nội dung phải là JSON. / The body must be application/json.")
        try:
            body = json.loads(request.get_data(cache=False))
        except ValueError:
            raise AgentError(400, "bad_json", "Nội dung không phải JSON hợp lệ. / The body is not valid JSON.") from None
        sign_request = parse_sign_request(body, self.max_digests)
        self.nonces.consume(sign_request.nonce)
        question = f"Ký {len(sign_request.digests)} tài liệu cho lô {sign_request.batch}? [y/N] "
        if self.confirm is not None and not self.confirm(question):
            raise AgentError(403, "declined", "Người ký đã từ chối ký. / The official declined to sign.")
        signatures = self.signer.sign(sign_request)
        return json_response({
            "batch": sign_request.batch,
            "nonce": sign_request.nonce,
            "digest_algorithm": sign_request.digest_algorithm,
            "signatures": [b64(s) for s in signatures],
            "certificate": b64(self.signer.certificate()),
        })
