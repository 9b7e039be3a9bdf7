"""The development remote-signing service as a WSGI application of its own, mounted beside the
main app: JSON in and out as CSC API v2 speaks it, bearer tokens from `auth/login`, none of the
main app's sessions, CSRF or pages. Request bodies (they carry the PIN and the code) are never logged."""
from __future__ import annotations

import json

from werkzeug.wrappers import Request, Response

from .service import DevCscService
from .state import CscError

API_PATH = "/csc/v2"
_AUTHENTICATED = {
    "credentials/list": DevCscService.credentials_list,
    "credentials/info": DevCscService.credentials_info,
    "credentials/authorize": DevCscService.authorize,
    "signatures/signHash": DevCscService.sign_hash,
}


class DevCscApp:
    """WSGI: `POST {mount}/csc/v2/<method>`."""

    def __init__(self, service: DevCscService):
        self.service = service

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            body = self._dispatch(request)
            response = Response(json.dumps(body), 200, content_type="application/json")
        except CscError as refused:
            response = Response(json.dumps(refused.body()), refused.status, content_type="application/json")
        response.headers["Cache-Control"] = "no-store"
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> dict:
        if not request.path.startswith(API_PATH + "/"):
            raise CscError(404, "invalid_request", "Unknown path")
        method = request.path[len(API_PATH) + 1:]
        if request.method != "POST" and method != "info":
            raise CscError(405, "invalid_request", "Use POST")
        if method == "info":
            return self.service.info()
        if method == "auth/login":
            auth = request.authorization
            return self.service.login(auth.username if auth else None, auth.password if auth else None)
        handler = _AUTHENTICATED.get(method)
        if handler is None:
            raise CscError(404, "invalid_request", f"Unknown method {method}")
        self.service.check_token(request.headers.get("Authorization", ""))
        payload = request.get_json(force=True, silent=True)
        if not isinstance(payload, dict):
            raise CscError(400, "invalid_request", "The body must be a JSON object")
        return handler(self.service, payload)
