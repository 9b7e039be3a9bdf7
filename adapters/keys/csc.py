"""Key source over a Cloud Signature Consortium API v2 remote-signing service.

pyHanko ships a CSC *v1* signer (one hash per request, v1 field names); this client speaks
v2 and batches: one ``credentials/authorize`` for the whole batch (``numSignatures`` and
every hash -> one SAD, so the holder approves once), then ``signatures/signHash`` with as
many hashes per call as the credential's ``multisign`` allows.
"""

from __future__ import annotations

import base64
from typing import Sequence

import requests
from asn1crypto import algos, x509

from signing.errors import KeySourceError
from signing.keys import Authorization, KeySource, SignerIdentity, default_mechanism

_DIGEST_OIDS = {"sha256": "2.16.840.1.101.3.4.2.1", "sha384": "2.16.840.1.101.3.4.2.2",
                "sha512": "2.16.840.1.101.3.4.2.3"}


class _Sad(Authorization):
    def __init__(self, sad: str):
        self.sad = sad


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
        token = self._call("auth/login", None, auth=(client_id, client_secret))["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"
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

    def _call(self, method: str, payload, auth=None) -> dict:
        try:
            resp = self.http.post(f"{self.base_url}/{method}", json=payload, auth=auth,
                                  timeout=self.timeout)
        except requests.RequestException as e:
            raise KeySourceError(f"CSC service unreachable ({method}): {e}", code="csc_unreachable") from e
        if resp.status_code != 200:
            try:
                err = resp.json()
                detail = f"{err.get('error')}: {err.get('error_description')}"
            except ValueError:
                detail = resp.text[:200]
            code = "pin_incorrect" if "invalid_pin" in detail else "csc_error"
            raise KeySourceError(f"CSC {method} failed ({resp.status_code}) {detail}", code=code)
        return resp.json()

    def identity(self) -> SignerIdentity:
        return self._identity

    def signature_mechanism(self, digest_algorithm: str) -> algos.SignedDigestAlgorithm:
        return default_mechanism(self._identity.certificate, digest_algorithm)

    def _sign_algo_oid(self, digest_algorithm: str) -> str:
        return self.signature_mechanism(digest_algorithm)["algorithm"].dotted

    def authorize(self, digests: Sequence[bytes], digest_algorithm: str) -> Authorization:
        payload = {
            "credentialID": self.credential_id,
            "numSignatures": len(digests),
            "hashes": [base64.b64encode(d).decode() for d in digests],
            "hashAlgorithmOID": _DIGEST_OIDS[digest_algorithm],
        }
        if self._pin is not None:
            payload["PIN"] = self._pin
        return _Sad(self._call("credentials/authorize", payload)["SAD"])

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
