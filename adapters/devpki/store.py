"""The development PKI's directory: private keys, the manifest that makes issuance
reproducible (validity window, base URL, identity order → serial numbers), and the PEM and
PKCS#12 files exported from it. Creating, extending and opening a PKI happen here."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from adapters.devpki.certomancer_config import ARCH, CA_KEYS, iso_time, pki_architecture
from adapters.devpki.model import DevPki, DevPkiError, DevPkiIdentity, certomancer_label

MANIFEST_NAME = "devpki.json"
_MANIFEST_VERSION = 1
CERT_PROFILE = 2
"""Bump when the issued certificates change: existing PKIs are re-issued (same keys)."""

# --- key material -------------------------------------------------------------------


def _write_new_key(path: Path, key_type: str) -> None:
    if key_type == "rsa2048":
        key: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif key_type == "ecdsa-p256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        raise DevPkiError("dev_pki_bad_key_type", f"Unsupported key type {key_type!r}.")
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.replace(tmp, path)


def _ensure_key(keys_dir: Path, label: str, key_type: str) -> None:
    path = keys_dir / f"{label}.key.pem"
    if not path.exists():
        _write_new_key(path, key_type)


# --- the manifest and the files made from it -----------------------------------------


def read_manifest(directory: Path) -> dict | None:
    path = directory / MANIFEST_NAME
    if not path.exists():
        return None
    manifest = json.loads(path.read_text("utf-8"))
    if manifest.get("version") != _MANIFEST_VERSION:
        raise DevPkiError(
            "dev_pki_version",
            f"{path} was written by an incompatible version; delete {directory} to regenerate.",
        )
    return manifest


def _handle(directory: Path, manifest: dict) -> DevPki:
    base = manifest["services_base_url"].rstrip("/")
    return DevPki(
        directory=directory,
        services_base_url=base,
        root_cert_path=directory / "certs" / "root.pem",
        ca_cert_path=directory / "certs" / "ca.pem",
        tsa_url=f"{base}/{ARCH}/tsa/tsa",
        identity_keys=tuple(i["key"] for i in manifest["identities"]),
    )


def _export(directory: Path, manifest: dict) -> None:
    """(Re)write PEM certificates and PKCS#12 files from the manifest."""
    from certomancer.registry import CertLabel

    arch = pki_architecture(directory, manifest)
    passphrase = (directory / "passphrase").read_bytes().strip()
    certs_dir, p12_dir = directory / "certs", directory / "p12"
    certs_dir.mkdir(exist_ok=True)
    p12_dir.mkdir(mode=0o700, exist_ok=True)
    from asn1crypto import pem

    for label in ("root", "ca", "tsa", "ocsp-root", "ocsp-ca"):
        cert = arch.get_cert(CertLabel(label))
        (certs_dir / f"{label}.pem").write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    for ident in manifest["identities"]:
        label = certomancer_label(ident["key"])
        cert = arch.get_cert(CertLabel(label))
        (certs_dir / f"{label}.pem").write_bytes(pem.armor("CERTIFICATE", cert.dump()))
        p12 = arch.package_pkcs12(CertLabel(label), password=passphrase)
        tmp = p12_dir / f"{label}.p12.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(p12)
        os.replace(tmp, p12_dir / f"{label}.p12")


def ensure_dev_pki(
    directory: Path, services_base_url: str, identities: Sequence[DevPkiIdentity]
) -> DevPki:
    """Create the development PKI in ``directory``, or reuse what exists there.

    Idempotent: existing keys are kept; identities not yet issued are added (appended, so
    earlier serial numbers stay stable); a changed ``services_base_url`` re-issues the
    certificates (same keys) so their AIA/CRL URLs point at the new address.
    """
    import fcntl

    directory = Path(directory)
    for ident in identities:
        if ident.kind not in ("official", "agency"):
            raise DevPkiError(
                "dev_pki_bad_identity", f"Identity {ident.key!r}: kind must be official or agency."
            )
    directory.mkdir(parents=True, exist_ok=True)
    # Several server processes may start at once: one creates, the others then reuse.
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_locked(directory, services_base_url, identities)


def _ensure_locked(directory: Path, services_base_url: str,
                   identities: Sequence[DevPkiIdentity]) -> DevPki:
    keys_dir = directory / "keys"
    keys_dir.mkdir(mode=0o700, exist_ok=True)

    manifest = read_manifest(directory)
    changed = manifest is None
    if manifest is None:
        midnight = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        manifest = {
            "version": _MANIFEST_VERSION,
            "valid_from": iso_time(midnight - timedelta(days=1)),
            "services_base_url": services_base_url.rstrip("/"),
            "identities": [],
            "profile": CERT_PROFILE,
        }
    if manifest.get("profile") != CERT_PROFILE:
        manifest["profile"] = CERT_PROFILE
        changed = True
    if manifest["services_base_url"] != services_base_url.rstrip("/"):
        manifest["services_base_url"] = services_base_url.rstrip("/")
        changed = True
    known = {i["key"] for i in manifest["identities"]}
    for ident in identities:
        if ident.key not in known:
            manifest["identities"].append(asdict(ident))
            known.add(ident.key)
            changed = True

    passphrase_path = directory / "passphrase"
    if not passphrase_path.exists():
        fd = os.open(passphrase_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(24))
    for label in CA_KEYS:
        _ensure_key(keys_dir, label, "rsa2048")
    for ident in manifest["identities"]:
        _ensure_key(keys_dir, certomancer_label(ident["key"]), ident.get("key_type", "rsa2048"))

    if changed or not (directory / "certs" / "root.pem").exists():
        _export(directory, manifest)
        tmp = directory / (MANIFEST_NAME + ".tmp")
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
        os.replace(tmp, directory / MANIFEST_NAME)  # written last: a crash means "redo"
    return _handle(directory, manifest)


def load_dev_pki(directory: Path) -> DevPki:
    """Open an existing development PKI; :class:`DevPkiError` if it was never created."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    if manifest is None:
        raise DevPkiError(
            "dev_pki_missing",
            f"No development PKI in {directory}; run `wallet-service init` to create it.",
        )
    if manifest.get("profile") != CERT_PROFILE:
        raise DevPkiError(
            "dev_pki_outdated",
            f"The development PKI in {directory} predates this version; run "
            "`wallet-service init` to re-issue its certificates (keys are kept).",
        )
    return _handle(directory, manifest)
