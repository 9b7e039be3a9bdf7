"""`wallet-service keys check`: every key KEYS_CONFIG names, tried as signing will use it, before an
official or a batch finds out: open it, sign a test digest (keys the service may use alone), build
its certificate chain to a trusted root and fetch its revocation status (OCSP or CRL, as the
certificate points), and reach the timestamp authority. One line per key."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from asn1crypto import pem, x509
from flask import Flask

from signing.errors import SigningError
from signing.keys import SignerIdentity, signature_check
from signing.revocation import collect_validation_material, probe_timestamp_authority

from .config import ConfigKeyDirectory
from .directory import key_directory
from .errors import KeyUnavailable

TEST_DIGEST = hashlib.sha256(b"wallet-service keys check").digest()


@dataclass(frozen=True)
class KeyCheck:
    kind: str
    """`official` or `agency`."""
    name: str
    ok: bool
    summary: str
    """What was done, or at which step and why it failed."""

    def line(self) -> str:
        return f"{self.kind} {self.name}: {'ok' if self.ok else 'FAILED'}: {self.summary}"


def check_all(app: Flask) -> list[KeyCheck]:
    """Each configured key's check, officials first; the TSA is asked once and reported on each line."""
    keys = key_directory(app)
    if not isinstance(keys, ConfigKeyDirectory):
        raise KeyUnavailable("keys check reads KEYS_CONFIG; without it the development PKI is made by `wallet-service init`.")
    trust = keys.trust_services
    tsa = "no TSA configured (B-B)"
    tsa_failed = False
    if trust.tsa_url:
        try:
            probe_timestamp_authority(trust.tsa_url, trust.http_timeout)
            tsa = f"TSA {trust.tsa_url} gave a timestamp"
        except SigningError as exc:
            tsa, tsa_failed = f"TSA: {exc.message}", True
    roots = _trust_roots(app, keys)
    checks = []
    for kind, name in keys.names():
        checked = _check_key(keys, kind, name, roots, trust.http_timeout)
        ok = checked.ok and not tsa_failed
        checks.append(KeyCheck(kind, name, ok, f"{checked.summary}; {tsa}"))
    return checks


def _trust_roots(app: Flask, keys: ConfigKeyDirectory) -> list[x509.Certificate]:
    """KEYS_CONFIG's `trust_roots` and the verifiers' TRUST_ROOTS_PATH: a chain to either is accepted."""
    from ..verify.trust import trust_roots_folder

    roots = []
    for path in keys.trust_root_paths():
        data = path.read_bytes()
        ders = [der for _type, _headers, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
        roots += [x509.Certificate.load(der) for der in ders]
    folder = trust_roots_folder(app)
    if folder is not None and folder.is_dir():
        from verification.policy import VerificationPolicy

        roots += VerificationPolicy.from_folder(folder).certificates()
    return roots


def _check_key(keys: ConfigKeyDirectory, kind: str, name: str, roots, timeout: float) -> KeyCheck:
    try:
        source = keys.official_key(name) if kind == "official" else keys.agency_key(name)
        identity = source.identity()
    except (KeyUnavailable, SigningError) as exc:
        return KeyCheck(kind, name, False, f"cannot open: {exc.message}")
    subject = identity.certificate.subject.native.get("common_name") or identity.certificate.subject.human_friendly
    if source.holder_approval is not None:
        signed = f"not signed: its holder approves each batch ({source.holder_approval.value})"
    else:
        try:
            with source.authorize([TEST_DIGEST], "sha256") as authorization:
                (value,) = source.sign_digests(authorization, [TEST_DIGEST], "sha256")
        except SigningError as exc:
            return KeyCheck(kind, name, False, f"{subject}: signing a test digest failed: {exc.message}")
        if not signature_check(identity.certificate)(value, TEST_DIGEST):
            return KeyCheck(kind, name, False, f"{subject}: the test signature does not match the certificate's key")
        signed = "signed a test digest"
    return _check_chain(kind, name, identity, roots, timeout, f"{subject}: {signed}")


def _check_chain(kind: str, name: str, identity: SignerIdentity, roots, timeout: float, done: str) -> KeyCheck:
    anchors = roots or [c for c in identity.chain if c.self_signed != "no"]
    if not anchors:
        return KeyCheck(kind, name, False, f"{done}; no trusted root to build the chain to "
                                           "(set trust_roots in KEYS_CONFIG or TRUST_ROOTS_PATH)")
    try:
        material = collect_validation_material([identity], anchors, timeout=timeout)
    except SigningError as exc:
        return KeyCheck(kind, name, False, f"{done}; chain or revocation: {exc.message}")
    return KeyCheck(kind, name, True, f"{done}; chain to a trusted root, revocation fetched "
                                      f"({len(material.ocsp_responses)} OCSP, {len(material.crls)} CRL)")
