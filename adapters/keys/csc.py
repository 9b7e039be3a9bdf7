"""Key source over a Cloud Signature Consortium API v2 remote-signing service.

pyHanko ships a CSC *v1* signer (one hash per request, v1 field names); this client speaks
v2 and batches: one ``credentials/authorize`` for the whole batch (``numSignatures`` and
every hash -> one SAD, so the holder approves once), then ``signatures/signHash`` with as
many hashes per call as the credential's ``multisign`` allows.

Explicit authorisation at SCAL2: the holder's PIN and one-time code come per batch, as
:class:`signing.keys.HolderSecrets` given to :meth:`CscKeySource.authorize`; they go into that one
request and nowhere else (not on the object, not in logs, not in error messages). The older path of
a PIN held by the service's configuration still works. The service's refusals become
:class:`KeySourceError` codes a page can explain: ``authorisation_refused`` (wrong PIN or code,
``remaining_attempts`` set when the service says), ``authorisation_locked``,
``authorisation_expired`` (the SAD ran out), ``csc_unreachable``.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Sequence

import requests
from asn1crypto import algos, x509

from signing.errors import KeySourceError
from signing.keys import Authorization, HolderApproval, HolderSecrets, KeySource, SignerIdentity, default_mechanism

_DIGEST_OIDS = {"sha256": "2.16.840.1.101.3.4.2.1", "sha384": "2.16.840.1.101.3.4.2.2",
                "sha512": "2.16.840.1.101.3.4.2.3"}


_REFUSED = "Mã PIN hoặc mã xác thực một lần (OTP) không đúng."
_LOCKED = ("Chứng thư số đã bị khoá vì nhập sai mã PIN hoặc mã OTP quá số lần cho phép; "
           "hãy liên hệ nhà cung cấp dịch vụ ký số từ xa.")
_EXPIRED = "Phê duyệt ký tại dịch vụ ký số từ xa đã hết hiệu lực; hãy nhập lại mã PIN và mã xác thực một lần để ký tiếp."


class _Sad(Authorization):
    """A CSC Signature Activation Data and when it stops being accepted."""

    def __init__(self, sad: str, expires_in: object):
        self.sad = sad
        if isinstance(expires_in, int) and expires_in > 0:
            self.expires_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=expires_in)

    def __repr__(self) -> str:
        return f"<CSC SAD expiring {self.expires_at}>"

    def handover(self) -> str:
        return self.sad


class CscKeySource(KeySource):
    """A CSC v2 credential used as a key source."""

    def __init__(self, base_url: str, credential_id: str | None, client_id: str,
                 client_secret: str, pin: str | None = None, timeout: float = 30.0,
                 session: requests.Session | None = None):
        """
        :param base_url: service root ending in ``/csc/v2``.
        :param credential_id: credential to use; ``None`` picks the only one listed.
        :param pin: the holder's PIN, sent in ``credentials/authorize`` (explicit auth mode).
        """
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = session or requests.Session()
        self._pin = pin
        # The service's own client credentials (not the holder's): kept to log in again when the
        # access token runs out, since a key source lives as long as its process.
        self._client = (client_id, client_secret)
        self.holder_approval = HolderApproval.CODES if pin is None else None
        self._login()
        if credential_id is None:
            ids = self._call("credentials/list", {})["credentialIDs"]
            if len(ids) != 1:
                raise KeySourceError(f"Choose a CSC credential among {ids}.", code="csc_credential")
            credential_id = ids[0]
        self.credential_id = credential_id
        info = self._call("credentials/info", {"credentialID": credential_id, "certificates": "chain"})
        if info.get("key", {}).get("status") != "enabled":
            raise KeySourceError("The CSC credential's key is disabled.", code="csc_key_disabled")
        self.multisign = max(1, int(info.get("multisign", 1)))
        certs = [x509.Certificate.load(base64.b64decode(c)) for c in info["cert"]["certificates"]]
        self._identity = SignerIdentity(certs[0], tuple(certs[1:]))

    def _login(self) -> None:
        token = self._call("auth/login", None, auth=self._client)["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def _call(self, method: str, payload, auth=None, holder: HolderSecrets | None = None) -> dict:
        try:
            return self._post(method, payload, auth, holder)
        except _TokenExpired:
            self._login()
            return self._post(method, payload, auth, holder)

    def _post(self, method: str, payload, auth, holder: HolderSecrets | None) -> dict:
        try:
            resp = self.http.post(f"{self.base_url}/{method}", json=payload, auth=auth,
                                  timeout=self.timeout)
        except requests.RequestException as e:
            # from None: the request object of the exception holds the body (PIN, code).
            raise KeySourceError(f"CSC service unreachable ({method}): {e}", code="csc_unreachable") from None
        if resp.status_code == 401 and auth is None and _error_of(resp) == "invalid_token":
            raise _TokenExpired()
        if resp.status_code != 200:
            raise _refusal(method, resp, holder)
        return resp.json()

    def identity(self) -> SignerIdentity:
        return self._identity

    def signature_mechanism(self, digest_algorithm: str) -> algos.SignedDigestAlgorithm:
        return default_mechanism(self._identity.certificate, digest_algorithm)

    def _sign_algo_oid(self, digest_algorithm: str) -> str:
        return self.signature_mechanism(digest_algorithm)["algorithm"].dotted

    def authorize(self, digests: Sequence[bytes], digest_algorithm: str,
                  holder: HolderSecrets | None = None) -> Authorization:
        """One SAD for exactly ``digests``. ``holder``: the PIN and one-time code the holder gives
        for this batch; without it, the PIN given to the constructor (if any) is sent."""
        payload = {
            "credentialID": self.credential_id,
            "numSignatures": len(digests),
            "hashes": [base64.b64encode(d).decode() for d in digests],
            "hashAlgorithmOID": _DIGEST_OIDS[digest_algorithm],
        }
        if holder is not None:
            payload["PIN"] = holder.pin
            if holder.otp is not None:
                payload["OTP"] = holder.otp
        elif self._pin is not None:
            payload["PIN"] = self._pin
        answer = self._call("credentials/authorize", payload, holder=holder)
        return _Sad(answer["SAD"], answer.get("expiresIn"))

    def take_over(self, handover: str) -> Authorization:
        return _Sad(handover, None)

    def sign_digests(self, authorization, digests, digest_algorithm) -> list[bytes]:
        out: list[bytes] = []
        for start in range(0, len(digests), self.multisign):
            chunk = digests[start:start + self.multisign]
            resp = self._call("signatures/signHash", {
                "credentialID": self.credential_id,
                "SAD": authorization.sad,
                "hashes": [base64.b64encode(d).decode() for d in chunk],
                "hashAlgorithmOID": _DIGEST_OIDS[digest_algorithm],
                "signAlgo": self._sign_algo_oid(digest_algorithm),
            })
            sigs = [base64.b64decode(s) for s in resp.get("signatures", [])]
            if len(sigs) != len(chunk):
                raise KeySourceError("The CSC service returned the wrong number of signatures.",
                                     code="csc_error")
            out.extend(sigs)
        return out

    def close(self) -> None:
        self.http.close()


class _TokenExpired(Exception):
    """The service's access token ran out: log in again and repeat the call once."""


def _error_of(resp: requests.Response) -> str | None:
    try:
        body = resp.json()
    except ValueError:
        return None
    return body.get("error") if isinstance(body, dict) else None


def _refusal(method: str, resp: requests.Response, holder: HolderSecrets | None) -> KeySourceError:
    """The KeySourceError for a CSC error answer (``{"error", "error_description"}``)."""
    try:
        err = resp.json()
    except ValueError:
        err = None
    if not isinstance(err, dict):
        return KeySourceError(f"CSC {method} failed ({resp.status_code}) {resp.text[:200]}", code="csc_error")
    error, description = str(err.get("error")), str(err.get("error_description"))
    remaining = err.get("remaining_attempts")
    remaining = remaining if isinstance(remaining, int) and not isinstance(remaining, bool) else None
    if error == "credential_locked":
        return KeySourceError(_LOCKED, code="authorisation_locked", remaining_attempts=0)
    if error == "expired_sad" or (error == "invalid_request" and "SAD" in description and "expired" in description.lower()):
        return KeySourceError(_EXPIRED, code="authorisation_expired")
    if error == "invalid_pin" and holder is None:  # a PIN from the configuration, not the holder
        return KeySourceError(f"CSC {method} failed ({resp.status_code}) {error}: {description}", code="pin_incorrect")
    if error in ("invalid_pin", "invalid_otp"):
        left = f" Còn {remaining} lần thử." if remaining is not None else ""
        return KeySourceError(_REFUSED + left, code="authorisation_refused", remaining_attempts=remaining)
    return KeySourceError(f"CSC {method} failed ({resp.status_code}) {error}: {description}", code="csc_error")
