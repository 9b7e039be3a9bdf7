"""The credential issuer's signing key: signs SD-JWT VCs and Status List Tokens (ES256, P-256).

The key lives in a PEM file, never in the database. In development the file is generated under
`instance/issuer/` (by `wallet-service init`, or on first use); in production it must be provided
(`CREDENTIAL_ISSUER_KEY_FILE`) and is never generated. Verifiers find the public key through
`/.well-known/jwt-vc-issuer` by its `kid` (the RFC 7638 thumbprint)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto import jwk

from .certificate import DevelopmentCa, x5c_of

SIGNING_ALG = "ES256"


class IssuerKeyMissing(RuntimeError):
    """The signing key file is absent and may not be generated here (production)."""


@dataclass(frozen=True)
class IssuerKey:
    """The loaded signing key with its public identity."""

    jwk: jwk.JWK
    """The private key as a jwcrypto JWK (what the SD-JWT library signs with)."""
    kid: str
    """RFC 7638 thumbprint of the public key; the `kid` of every token we sign."""
    alg: str = SIGNING_ALG
    """JWS algorithm."""
    x5c: tuple[str, ...] = ()
    """The key's certificate chain (base64 DER, leaf first, no trust anchor); empty when there is none."""

    @property
    def private_pem(self) -> bytes:
        return self.jwk.export_to_pem(private_key=True, password=None)

    def public_jwk(self) -> dict:
        public = self.jwk.export_public(as_dict=True)
        chain = {"x5c": list(self.x5c)} if self.x5c else {}
        return {**public, "kid": self.kid, "alg": self.alg, "use": "sig", **chain}

    def headers(self, typ: str) -> dict:
        """JOSE header parameters of what this key signs: `kid` for JWT VC issuer metadata, `x5c` for X.509."""
        return {"typ": typ, "kid": self.kid, **({"x5c": list(self.x5c)} if self.x5c else {})}


@dataclass(frozen=True)
class IssuerKeySource:
    """Where the key file is and whether it may be created there."""

    path: Path
    """PEM file (PKCS#8, unencrypted, mode 0600)."""
    may_generate: bool
    """True in development only."""
    cert_path: Path | None = None
    """PEM chain of the key's certificate (configured, or issued by `dev_ca` here)."""
    dev_ca: DevelopmentCa | None = None
    """Development only: the CA that issues `cert_path` when it is missing or certifies another key."""

    def ensure(self) -> bool:
        """Create the key file if allowed and absent; True when a new key was made."""
        if self.path.exists():
            return False
        if not self.may_generate:
            raise IssuerKeyMissing(f"The credential issuer key file {self.path} does not exist.")
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
        try:
            os.link(tmp, self.path)  # fails if another worker made one meanwhile: theirs wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        return True

    def load(self) -> IssuerKey:
        """Read the key (a P-256 key parses in microseconds, so it is read per use rather than cached)."""
        self.ensure()
        key = jwk.JWK.from_pem(self.path.read_bytes())
        if key.get("kty") != "EC" or key.get("crv") != "P-256" or not key.has_private:
            raise IssuerKeyMissing(f"{self.path} must hold an EC P-256 private key for {SIGNING_ALG}.")
        return IssuerKey(jwk=key, kid=key.thumbprint(), x5c=self._chain(key))

    def _chain(self, key: jwk.JWK) -> tuple[str, ...]:
        if self.cert_path is None:
            return ()
        public = serialization.load_pem_public_key(key.export_to_pem())
        if self.dev_ca is not None:
            if not self.dev_ca.key_path.exists():
                return ()  # no development PKI yet (`wallet-service init` makes it)
            try:
                chain = x5c_of(self.cert_path, public)
                if self.dev_ca.certifies(chain):
                    return chain
            except (OSError, ValueError):  # absent, or made for an earlier key
                pass
            self.cert_path.parent.mkdir(parents=True, exist_ok=True)
            self.dev_ca.issue(public, "Credential issuer (development)", self.cert_path)
        return x5c_of(self.cert_path, public)
