"""A small CSC API v2 remote-signing server for tests: holds a real key, speaks JSON over
HTTP on a loopback port (werkzeug), and enforces what matters to a client:

- ``auth/login`` (HTTP Basic) -> bearer token for the other calls;
- ``credentials/authorize`` binds a SAD to ``numSignatures`` and the exact hashes (and the PIN);
- ``signatures/signHash`` accepts at most ``multisign`` hashes per call, only authorised
  hashes, and never more signatures than authorised;
- it counts calls and signed hashes so tests can check batching and "never twice".
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

SHA256_OID = "2.16.840.1.101.3.4.2.1"
RSA_OID = "1.2.840.113549.1.1.1"
SHA256_RSA_OID = "1.2.840.113549.1.1.11"
ECDSA_SHA256_OID = "1.2.840.10045.4.3.2"


@dataclass
class CscCredential:
    """One signing credential held by the server."""

    credential_id: str
    private_key: object
    certificates_der: list[bytes]
    pin: str
    multisign: int = 10


@dataclass
class CscServerState:
    """What the server saw (read by tests)."""

    calls: dict = field(default_factory=dict)
    signed_hashes: list = field(default_factory=list)
    sads: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class CscServer:
    """WSGI app implementing the CSC v2 subset a signing client needs."""

    def __init__(self, credentials: list[CscCredential], client_id: str, client_secret: str):
        self.credentials = {c.credential_id: c for c in credentials}
        self.client = (client_id, client_secret)
        self.tokens: set[str] = set()
        self.state = CscServerState()

    def __call__(self, environ, start_response):
        request = Request(environ)
        name = request.path.split("/csc/v2/", 1)[-1]
        with self.state.lock:
            self.state.calls[name] = self.state.calls.get(name, 0) + 1
        try:
            if name == "info":
                body = self.info()
            elif name == "auth/login":
                body = self.login(request)
            else:
                self._check_token(request)
                payload = request.get_json(force=True)
                handler = {"credentials/list": self.credentials_list,
                           "credentials/info": self.credentials_info,
                           "credentials/authorize": self.authorize,
                           "signatures/signHash": self.sign_hash}.get(name)
                if handler is None:
                    raise _CscError(404, "invalid_request", f"Unknown method {name}")
                body = handler(payload)
            return Response(json.dumps(body), 200, content_type="application/json")(environ, start_response)
        except _CscError as e:
            return Response(json.dumps({"error": e.error, "error_description": e.description}),
                            e.status, content_type="application/json")(environ, start_response)

    def info(self):
        return {"specs": "2.0.0.0", "name": "wallet-service test CSC", "logo": "", "region": "VN",
                "lang": "vi", "description": "test", "authType": ["basic"],
                "methods": ["auth/login", "credentials/list", "credentials/info",
                            "credentials/authorize", "signatures/signHash"]}

    def login(self, request):
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != self.client:
            raise _CscError(401, "invalid_client", "Bad client credentials")
        token = secrets.token_urlsafe(16)
        self.tokens.add(token)
        return {"access_token": token, "expires_in": 3600}

    def _check_token(self, request):
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header[7:] not in self.tokens:
            raise _CscError(401, "invalid_token", "Missing or bad bearer token")

    def _credential(self, payload) -> CscCredential:
        cred = self.credentials.get(payload.get("credentialID"))
        if cred is None:
            raise _CscError(400, "invalid_request", "Invalid parameter credentialID")
        return cred

    def credentials_list(self, payload):
        return {"credentialIDs": list(self.credentials)}

    def credentials_info(self, payload):
        cred = self._credential(payload)
        is_rsa = isinstance(cred.private_key, rsa.RSAPrivateKey)
        return {
            "key": {"status": "enabled", "algo": [SHA256_RSA_OID if is_rsa else ECDSA_SHA256_OID],
                    "len": cred.private_key.key_size},
            "cert": {"status": "valid",
                     "certificates": [base64.b64encode(c).decode() for c in cred.certificates_der]},
            "authMode": "explicit", "SCAL": "2",
            "PIN": {"presence": "true", "format": "N"},
            "multisign": cred.multisign,
        }

    def authorize(self, payload):
        cred = self._credential(payload)
        if payload.get("PIN") != cred.pin:
            raise _CscError(400, "invalid_pin", "The PIN is invalid")
        hashes_b64 = payload.get("hashes") or []
        num = int(payload.get("numSignatures", 0))
        if num < 1 or len(hashes_b64) != num or payload.get("hashAlgorithmOID") != SHA256_OID:
            raise _CscError(400, "invalid_request", "numSignatures must match the hashes (SHA-256)")
        sad = secrets.token_urlsafe(16)
        with self.state.lock:
            self.state.sads[sad] = {"credential": cred.credential_id, "remaining": num,
                                    "hashes": set(hashes_b64)}
        return {"SAD": sad, "expiresIn": 3600}

    def sign_hash(self, payload):
        cred = self._credential(payload)
        hashes_b64 = payload.get("hashes") or []
        if len(hashes_b64) > cred.multisign:
            raise _CscError(400, "invalid_request", f"At most {cred.multisign} hashes per call")
        with self.state.lock:
            sad = self.state.sads.get(payload.get("SAD"))
            if sad is None or sad["credential"] != cred.credential_id:
                raise _CscError(400, "invalid_request", "Invalid SAD")
            if any(h not in sad["hashes"] for h in hashes_b64) or len(hashes_b64) > sad["remaining"]:
                raise _CscError(400, "invalid_request", "Hash not authorised by this SAD")
            sad["remaining"] -= len(hashes_b64)
            sad["hashes"] -= set(hashes_b64)
            self.state.signed_hashes.extend(hashes_b64)
        key = cred.private_key
        prehashed = utils.Prehashed(hashes.SHA256())
        out = []
        for h in hashes_b64:
            digest = base64.b64decode(h)
            if isinstance(key, rsa.RSAPrivateKey):
                out.append(key.sign(digest, padding.PKCS1v15(), prehashed))
            else:
                out.append(key.sign(digest, ec.ECDSA(prehashed)))
        return {"signatures": [base64.b64encode(s).decode() for s in out]}


class _CscError(Exception):
    def __init__(self, status, error, description):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def start_csc_server(app: CscServer):
    """Serve ``app`` on an ephemeral loopback port; returns (base_url, server)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/csc/v2", server


def credential_from_pkcs12(credential_id: str, data: bytes, passphrase: bytes, pin: str,
                           multisign: int = 10) -> CscCredential:
    """A server-side credential holding the key and chain of a PKCS#12 file."""
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase)
    ders = [c.public_bytes(serialization.Encoding.DER) for c in [cert, *(extra or [])]]
    return CscCredential(credential_id, key, ders, pin, multisign)
