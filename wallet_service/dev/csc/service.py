"""The CSC API v2 methods of the development remote-signing service, over the demo officials' keys
(the development PKI's PKCS#12 files). Explicit authorisation at SCAL2: `credentials/authorize`
takes the holder's PIN and a current TOTP code and binds the SAD to the exact hashes; the rules of
attempts, replays and SAD lifetimes are kept by `state.CscState`."""
from __future__ import annotations

import base64
import binascii
import hmac
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from adapters.devpki import load_dev_pki

from .holders import DEMO_PIN, DevCscSecrets, HolderSecretsMissing, load_secrets
from .state import CscError, CscState

MULTISIGN = 10
"""Most hashes one `signatures/signHash` call may carry."""
OTP_STEP = 30
_HASHES = {"2.16.840.1.101.3.4.2.1": hashes.SHA256, "2.16.840.1.101.3.4.2.2": hashes.SHA384,
           "2.16.840.1.101.3.4.2.3": hashes.SHA512}
_RSA_ALGOS = ("1.2.840.113549.1.1.1", "1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13")
_EC_ALGOS = ("1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4")


@dataclass(frozen=True)
class DevCredential:
    """One official's key and certificate chain (signer first)."""

    credential_id: str
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificates_der: tuple[bytes, ...]

    @property
    def algos(self) -> tuple[str, ...]:
        return _RSA_ALGOS if isinstance(self.private_key, rsa.RSAPrivateKey) else _EC_ALGOS

    def sign(self, digest: bytes, hash_cls: type[hashes.HashAlgorithm]) -> bytes:
        """PKCS#1 v1.5 (RSA) or DER ECDSA-Sig-Value over a precomputed digest."""
        prehashed = utils.Prehashed(hash_cls())
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return self.private_key.sign(digest, padding.PKCS1v15(), prehashed)
        return self.private_key.sign(digest, ec.ECDSA(prehashed))


class DevCscService:
    """The methods, each taking the request's JSON and returning the answer's, or raising CscError.
    Keys and secrets are read on first use: `wallet-service init` may make them after the app starts."""

    def __init__(self, instance_path: Path, pki_dir: Path, credential_ids: tuple[str, ...],
                 state: CscState | None = None):
        self.instance_path, self.pki_dir, self.credential_ids = Path(instance_path), Path(pki_dir), credential_ids
        self.state = state or CscState()
        self._loaded: dict[str, DevCredential] = {}
        self._lock = threading.Lock()

    @property
    def demo_pin(self) -> str:
        """Every demo credential's PIN (the pages tell it to whoever tries the demo)."""
        return DEMO_PIN

    def secrets(self) -> DevCscSecrets:
        try:
            return load_secrets(self.instance_path)
        except HolderSecretsMissing:
            raise CscError(503, "server_error", "The service is not initialised (run `wallet-service init`)") from None

    def credential(self, credential_id: object) -> DevCredential:
        if credential_id not in self.credential_ids:
            raise CscError(400, "invalid_request", "Invalid parameter credentialID")
        with self._lock:
            if credential_id not in self._loaded:
                self._loaded[credential_id] = self._load(credential_id)
            return self._loaded[credential_id]

    def _load(self, credential_id: str) -> DevCredential:
        try:
            pki = load_dev_pki(self.pki_dir)
            data = pki.pkcs12_path(credential_id).read_bytes()
            key, cert, extra = pkcs12.load_key_and_certificates(data, pki.pkcs12_passphrase())
        except Exception:  # the PKI is missing or lacks this identity: `wallet-service init` makes it
            raise CscError(503, "server_error", "The development PKI has no key for this credential") from None
        ders = tuple(c.public_bytes(serialization.Encoding.DER) for c in [cert, *(extra or [])])
        return DevCredential(credential_id, key, ders)

    def info(self, _payload: dict | None = None) -> dict:
        return {"specs": "2.0.0.2", "name": "wallet-service development CSC", "logo": "", "region": "VN",
                "lang": "en-US", "description": "Development remote signing of the demo officials (SCAL2).",
                "authType": ["basic"],
                "methods": ["auth/login", "credentials/list", "credentials/info", "credentials/authorize",
                            "signatures/signHash"]}

    def login(self, username: str | None, password: str | None) -> dict:
        known = self.secrets()
        if not (username and password and hmac.compare_digest(username, known.client_id)
                and hmac.compare_digest(password, known.client_secret)):
            raise CscError(401, "invalid_client", "Invalid client credentials")
        return {"access_token": self.state.issue_token(), "expires_in": 3600}

    def check_token(self, header: str) -> None:
        if not header.startswith("Bearer ") or not self.state.token_valid(header[7:]):
            raise CscError(401, "invalid_token", "Missing or invalid access token")

    def credentials_list(self, _payload: dict) -> dict:
        return {"credentialIDs": list(self.credential_ids)}

    def credentials_info(self, payload: dict) -> dict:
        cred = self.credential(payload.get("credentialID"))
        certs = cred.certificates_der if payload.get("certificates", "single") == "chain" else cred.certificates_der[:1]
        return {
            "key": {"status": "enabled", "algo": list(cred.algos), "len": cred.private_key.key_size},
            "cert": {"status": "valid", "certificates": [base64.b64encode(c).decode() for c in certs]},
            "authMode": "explicit", "SCAL": "2", "multisign": MULTISIGN, "lang": "en-US",
            "PIN": {"presence": "true", "format": "N", "label": "PIN"},
            "OTP": {"presence": "true", "type": "offline", "format": "N", "label": "TOTP",
                    "description": "RFC 6238 code of the holder's authenticator (SHA-1, 6 digits, 30 s)"},
        }

    def authorize(self, payload: dict) -> dict:
        cred = self.credential(payload.get("credentialID"))
        hash_list = _hashes(payload, "hashes")
        num = payload.get("numSignatures")
        if not isinstance(num, int) or num < 1 or num != len(hash_list):
            raise CscError(400, "invalid_request", "Invalid parameter numSignatures: it must count the hashes")
        _hash_cls(payload, hash_list)
        pin, otp = payload.get("PIN"), payload.get("OTP")
        pin_ok = isinstance(pin, str) and hmac.compare_digest(pin.encode(), DEMO_PIN.encode())
        sad, lifetime = self.state.authorize(cred.credential_id, pin_ok, self._otp_step(cred, otp), hash_list)
        return {"SAD": sad, "expiresIn": lifetime}

    def _otp_step(self, cred: DevCredential, otp: object) -> int | None:
        """The time step (now, or one either side) whose code `otp` is; None if none is."""
        if not isinstance(otp, str) or len(otp) != 6 or not (otp.isascii() and otp.isdigit()):
            return None
        totp = self.secrets().totp(cred.credential_id)
        now = int(self.state.clock()) // OTP_STEP
        for step in (now, now - 1, now + 1):
            if hmac.compare_digest(totp.generate_otp(step), otp):
                return step
        return None

    def sign_hash(self, payload: dict) -> dict:
        cred = self.credential(payload.get("credentialID"))
        hash_list = _hashes(payload, "hashes")
        if len(hash_list) > MULTISIGN:
            raise CscError(400, "invalid_request", f"Invalid parameter hashes: at most {MULTISIGN} per call")
        hash_cls = _hash_cls(payload, hash_list)
        if payload.get("signAlgo") not in cred.algos:
            raise CscError(400, "invalid_request", "Invalid parameter signAlgo")
        sad = payload.get("SAD")
        if not isinstance(sad, str):
            raise CscError(400, "invalid_request", "Missing string parameter SAD")
        self.state.consume(sad, cred.credential_id, hash_list)
        signatures = [cred.sign(base64.b64decode(h), hash_cls) for h in hash_list]
        return {"signatures": [base64.b64encode(s).decode() for s in signatures]}


def _hashes(payload: dict, name: str) -> list[str]:
    values = payload.get(name)
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise CscError(400, "invalid_request", f"Missing or invalid parameter {name}")
    return values


def _hash_cls(payload: dict, hash_list: list[str]) -> type[hashes.HashAlgorithm]:
    """The hash algorithm named, checked against every hash's length."""
    hash_cls = _HASHES.get(payload.get("hashAlgorithmOID"))
    if hash_cls is None:
        raise CscError(400, "invalid_request", "Invalid parameter hashAlgorithmOID")
    try:
        sizes = {len(base64.b64decode(h, validate=True)) for h in hash_list}
    except (binascii.Error, ValueError):
        raise CscError(400, "invalid_request", "Invalid parameter hashes: not Base64") from None
    if sizes != {hash_cls.digest_size}:
        raise CscError(400, "invalid_request", "Invalid parameter hashes: wrong length for hashAlgorithmOID")
    return hash_cls
