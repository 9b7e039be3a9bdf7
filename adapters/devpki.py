"""The development PKI: root CA, agency-level CA, officials' and agencies' certificates,
a TSA, OCSP responders and CRLs, generated on first start and served over HTTP.

Certomancer does the X.509/OCSP/TSP/CRL work; this module only decides *what* to issue,
keeps the key files and the facts that make issuance reproducible (validity window, base
URL, identity order → serial numbers) in ``devpki.json``, and exports PEM/PKCS#12 files.
Certomancer rebuilds the certificates from that manifest on every load; RSA PKCS#1 v1.5
signatures are deterministic, so the rebuilt certificates are byte-identical to the
exported ones (``load_dev_pki`` checks this).

Development only: private keys are files (mode 0600) under the given directory, the
PKCS#12 passphrase is a random value in ``passphrase`` beside them. Never commit them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

MANIFEST_NAME = "devpki.json"
ARCH = "dev"
_MANIFEST_VERSION = 1
CERT_PROFILE = 2
"""Bump when the issued certificates change: existing PKIs are re-issued (same keys)."""

PROVINCE = "Quảng Ninh"


class DevPkiError(Exception):
    """A development PKI problem the operator can fix; carries a code and a message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DevPkiIdentity:
    """One end entity to issue a certificate (and PKCS#12) for."""

    key: str
    """Identity key: an official's username (``official1``) or an agency code (``000.00.15.H40``)."""
    kind: str
    """``"official"`` (personal public-duty certificate) or ``"agency"`` (seal certificate)."""
    common_name: str
    """Subject CN, Vietnamese with diacritics."""
    organization: str
    """Subject O: the agency the holder belongs to (or the agency itself)."""
    key_type: str = "rsa2048"
    """``"rsa2048"`` or ``"ecdsa-p256"``."""


@dataclass(frozen=True)
class DevPki:
    """Handle on an initialised development PKI directory."""

    directory: Path
    """Where keys, certificates, PKCS#12 files and the manifest live."""
    services_base_url: str
    """Base URL the TSA/OCSP/CRL/cert endpoints are served under (embedded in certificates)."""
    root_cert_path: Path
    """PEM of the self-signed root CA (the trust anchor to configure in verifiers)."""
    ca_cert_path: Path
    """PEM of the agency-level CA that issues officials' and agencies' certificates."""
    tsa_url: str
    """RFC 3161 endpoint of the development TSA."""
    identity_keys: tuple[str, ...] = ()
    """Keys of the identities issued in this PKI, in issuance order."""

    def pkcs12_path(self, key: str) -> Path:
        """The identity's PKCS#12 file (private key, certificate, chain up to the root)."""
        return self._existing(self.directory / "p12" / f"{_label(key)}.p12", key)

    def pkcs12_passphrase(self) -> bytes:
        """Passphrase of every PKCS#12 file in this development PKI."""
        return (self.directory / "passphrase").read_bytes().strip()

    def certificate_path(self, key: str) -> Path:
        """The identity's certificate, PEM."""
        return self._existing(self.directory / "certs" / f"{_label(key)}.pem", key)

    def _existing(self, path: Path, key: str) -> Path:
        if key not in self.identity_keys or not path.exists():
            raise DevPkiError(
                "dev_pki_unknown_identity",
                f"The development PKI in {self.directory} has no identity {key!r} "
                f"(known: {', '.join(self.identity_keys) or 'none'}).",
            )
        return path


AGENCY1 = "Trung tâm Phục vụ hành chính công phường Hạ Long"
AGENCY2 = "Sở Xây dựng tỉnh Quảng Ninh"

DEMO_IDENTITIES: tuple[DevPkiIdentity, ...] = (
    DevPkiIdentity("official1", "official", "Nguyễn Văn An", AGENCY1),
    DevPkiIdentity("official2", "official", "Trần Thị Bình", AGENCY2),
    DevPkiIdentity("000.00.15.H40", "agency", AGENCY1, AGENCY1),
    DevPkiIdentity("000.00.04.H40", "agency", AGENCY2, AGENCY2),
)
"""The project's demo officials and agencies (see the shared brief), for ``ensure_dev_pki``."""


def _label(key: str) -> str:
    """Certomancer label (also a URL path segment and file name) for an identity key."""
    return "ee-" + re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-").lower()


# --- key material -------------------------------------------------------------------

_CA_KEYS = ("root", "ca", "tsa", "ocsp-root", "ocsp-ca")


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


# --- certomancer configuration built from the manifest ----------------------------------


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _key_usage(*params: str) -> dict:
    return {
        "id": "key_usage",
        "critical": True,
        "smart-value": {"schema": "key-usage", "params": list(params)},
    }


def _revocation_pointers(issuer: str) -> list[dict]:
    return [
        {
            "id": "crl_distribution_points",
            "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [issuer]}},
        },
        {
            "id": "authority_information_access",
            "smart-value": {
                "schema": "aia-urls",
                "params": {
                    "ocsp-responder-names": [f"ocsp-{issuer}"],
                    "ca-issuer-links": [{"repo": issuer}],
                },
            },
        },
    ]


def _certomancer_config(directory: Path, manifest: dict) -> dict:
    start = manifest["valid_from"]
    origin = datetime.fromisoformat(start.replace("+0000", "+00:00"))

    def until(years: int) -> str:
        return _iso(origin + timedelta(days=365 * years))

    identities = [DevPkiIdentity(**i) for i in manifest["identities"]]
    keys = {k: {"path": f"{k}.key.pem"} for k in _CA_KEYS}
    keys.update({_label(i.key): {"path": f"{_label(i.key)}.key.pem"} for i in identities})

    entities: dict[str, dict] = {
        "root": {
            "common-name": "Root CA thử nghiệm wallet-service (DEV)",
            "organization-name": "wallet-service — môi trường phát triển",
        },
        "ca": {
            "common-name": "CA chuyên dùng công vụ thử nghiệm (DEV)",
            "organization-name": "wallet-service — môi trường phát triển",
        },
        "tsa": {
            "common-name": "Dịch vụ cấp dấu thời gian thử nghiệm (DEV)",
            "organization-name": "wallet-service — môi trường phát triển",
        },
        "ocsp-root": {"common-name": "OCSP Root CA thử nghiệm (DEV)"},
        "ocsp-ca": {"common-name": "OCSP CA công vụ thử nghiệm (DEV)"},
    }
    for ident in identities:
        entities[_label(ident.key)] = {
            "common-name": ident.common_name,
            "organization-name": ident.organization,
            "locality-name": PROVINCE,
        }

    root_ca_ext = [
        {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
        _key_usage("digital_signature", "key_cert_sign", "crl_sign"),
    ]
    certs: dict[str, dict] = {
        "root": {
            "subject": "root",
            "issuer": "root",
            "validity": {"valid-from": start, "valid-to": until(20)},
            "extensions": root_ca_ext,
        },
        "ca": {
            "issuer": "root",
            "validity": {"valid-from": start, "valid-to": until(10)},
            "extensions": [
                {
                    "id": "basic_constraints",
                    "critical": True,
                    "value": {"ca": True, "path-len-constraint": 0},
                },
                _key_usage("digital_signature", "key_cert_sign", "crl_sign"),
                *_revocation_pointers("root"),
            ],
        },
        "tsa": {
            "issuer": "root",
            "validity": {"valid-from": start, "valid-to": until(10)},
            "extensions": [
                _key_usage("digital_signature"),
                {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                *_revocation_pointers("root"),
            ],
        },
    }
    for issuer in ("root", "ca"):
        certs[f"ocsp-{issuer}"] = {
            "issuer": issuer,
            "validity": {"valid-from": start, "valid-to": until(10)},
            "extensions": [
                _key_usage("digital_signature"),
                {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                {"id": "ocsp_no_check"},
            ],
        }
    for ident in identities:
        certs[_label(ident.key)] = {
            "issuer": "ca",
            "validity": {"valid-from": start, "valid-to": until(3)},
            "extensions": [
                _key_usage("digital_signature", "non_repudiation"),
                # emailProtection keeps NSS's "email signer" usage (what poppler checks)
                # satisfied; documentSigning (RFC 9336) says what the key is for. Without
                # any EKU, poppler 22 reports a stale NSS lookup error as "Unknown issue".
                {"id": "extended_key_usage",
                 "value": ["email_protection", "1.3.6.1.5.5.7.3.36"]},
                *_revocation_pointers("ca"),
            ],
        }

    services = {
        "ocsp": {
            f"ocsp-{issuer}": {
                "for-issuer": issuer,
                "responder-cert": f"ocsp-{issuer}",
                "signing-key": f"ocsp-{issuer}",
            }
            for issuer in ("root", "ca")
        },
        "crl-repo": {
            issuer: {
                "for-issuer": issuer,
                "signing-key": issuer,
                "simulated-update-schedule": "P7D",
            }
            for issuer in ("root", "ca")
        },
        "cert-repo": {
            "root": {"for-issuer": "root", "publish-issued-certs": True},
            "ca": {"for-issuer": "ca", "publish-issued-certs": True},
        },
        "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
    }
    return {
        "external-url-prefix": manifest["services_base_url"].rstrip("/"),
        "keysets": {ARCH: {"path-prefix": str(directory / "keys"), "keys": keys}},
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {"country-name": "VN"},
                "entities": entities,
                "certs": certs,
                "services": services,
            }
        },
    }


def _pki_architecture(directory: Path, manifest: dict):
    from certomancer.registry import ArchLabel, CertomancerConfig

    config = CertomancerConfig(
        _certomancer_config(directory, manifest), key_search_dir=str(directory / "keys")
    )
    return config.get_pki_arch(ArchLabel(ARCH))


# --- public API -----------------------------------------------------------------------


def _read_manifest(directory: Path) -> dict | None:
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

    arch = _pki_architecture(directory, manifest)
    passphrase = (directory / "passphrase").read_bytes().strip()
    certs_dir, p12_dir = directory / "certs", directory / "p12"
    certs_dir.mkdir(exist_ok=True)
    p12_dir.mkdir(mode=0o700, exist_ok=True)
    from asn1crypto import pem

    for label in ("root", "ca", "tsa", "ocsp-root", "ocsp-ca"):
        cert = arch.get_cert(CertLabel(label))
        (certs_dir / f"{label}.pem").write_bytes(pem.armor("CERTIFICATE", cert.dump()))
    for ident in manifest["identities"]:
        label = _label(ident["key"])
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

    manifest = _read_manifest(directory)
    changed = manifest is None
    if manifest is None:
        midnight = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        manifest = {
            "version": _MANIFEST_VERSION,
            "valid_from": _iso(midnight - timedelta(days=1)),
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
    for label in _CA_KEYS:
        _ensure_key(keys_dir, label, "rsa2048")
    for ident in manifest["identities"]:
        _ensure_key(keys_dir, _label(ident["key"]), ident.get("key_type", "rsa2048"))

    if changed or not (directory / "certs" / "root.pem").exists():
        _export(directory, manifest)
        tmp = directory / (MANIFEST_NAME + ".tmp")
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
        os.replace(tmp, directory / MANIFEST_NAME)  # written last: a crash means "redo"
    return _handle(directory, manifest)


def load_dev_pki(directory: Path) -> DevPki:
    """Open an existing development PKI; :class:`DevPkiError` if it was never created."""
    directory = Path(directory)
    manifest = _read_manifest(directory)
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


class DevTimestampAuthority:
    """RFC 3161 responder for the development TSA certificate.

    Written by hand because certomancer's responder re-parses the TSA key for every
    token and asn1crypto re-encodes the certificate and names each time (~6-15 ms per
    token), which made the development TSA the bottleneck of B-T..B-LTA batches. The key
    is loaded once and every constant DER piece is encoded once; per token only the
    imprint, serial, time, nonce and signature are new.
    """

    POLICY = "1.3.6.1.4.1.55555.1.1"  # development-only policy OID

    def __init__(self, pki: DevPki):
        import hashlib

        from asn1crypto import algos, cms, core
        from asn1crypto import pem as asn1_pem
        from asn1crypto import x509 as asn1_x509
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        from signing.cms import tlv

        self._tlv = tlv
        self._key = load_pem_private_key(
            (pki.directory / "keys" / "tsa.key.pem").read_bytes(), None,
            unsafe_skip_rsa_key_validation=True,  # our own freshly generated key
        )
        cert = asn1_x509.Certificate.load(
            asn1_pem.unarmor((pki.directory / "certs" / "tsa.pem").read_bytes())[2])
        self._policy = core.ObjectIdentifier(self.POLICY).dump()
        self._tsa_name = tlv(0xA0, asn1_x509.GeneralName({"directory_name": cert.subject}).dump())
        self._content_type_attr = cms.CMSAttribute(
            {"type": "content_type", "values": ["tst_info"]}).dump()
        self._signing_cert_attr = cms.CMSAttribute({"type": "signing_certificate_v2", "values": [{
            "certs": [{"cert_hash": hashlib.sha256(cert.dump()).digest()}]}]}).dump()
        self._digest_algorithms = tlv(0x31, algos.DigestAlgorithm({"algorithm": "sha256"}).dump())
        self._certificates = tlv(0xA0, cert.dump())
        self._signer_info_head = (
            core.Integer(1).dump()
            + cms.IssuerAndSerialNumber({"issuer": cert.issuer,
                                         "serial_number": cert.serial_number}).dump()
            + algos.DigestAlgorithm({"algorithm": "sha256"}).dump())
        self._signature_algorithm = algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}).dump()
        self._oid_tst_info = core.ObjectIdentifier("1.2.840.113549.1.9.16.1.4").dump()
        self._oid_message_digest = core.ObjectIdentifier("1.2.840.113549.1.9.4").dump()
        self._oid_signed_data = core.ObjectIdentifier("1.2.840.113549.1.7.2").dump()

    def respond(self, request_der: bytes) -> bytes:
        """DER TimeStampResp for a DER TimeStampReq (rejection responses for bad input)."""
        import hashlib

        from asn1crypto import core, tsp
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        tlv = self._tlv
        try:
            req = tsp.TimeStampReq.load(request_der)
            imprint = req["message_imprint"]
            if imprint["hash_algorithm"]["algorithm"].native not in ("sha256", "sha384", "sha512"):
                raise ValueError("unsupported imprint hash")
            nonce, cert_req = req["nonce"].native, req["cert_req"].native
        except Exception:  # noqa: BLE001 - any parse failure is a bad request
            return tsp.TimeStampResp(
                {"status": {"status": "rejection", "fail_info": {"bad_data_format"}}}).dump()
        gen_time = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%SZ").encode()
        tst_info = tlv(0x30, b"".join([
            core.Integer(1).dump(), self._policy, imprint.dump(),
            core.Integer(secrets.randbits(63)).dump(), tlv(0x18, gen_time),
            core.Integer(nonce).dump() if nonce is not None else b"",
            self._tsa_name,
        ]))
        digest_attr = tlv(0x30, self._oid_message_digest
                          + tlv(0x31, tlv(0x04, hashlib.sha256(tst_info).digest())))
        signed_attrs = tlv(0x31, self._content_type_attr + digest_attr + self._signing_cert_attr)
        signature = self._key.sign(signed_attrs, padding.PKCS1v15(), hashes.SHA256())
        signer_info = tlv(0x30, self._signer_info_head + b"\xa0" + signed_attrs[1:]
                          + self._signature_algorithm + tlv(0x04, signature))
        encap = tlv(0x30, self._oid_tst_info + tlv(0xA0, tlv(0x04, tst_info)))
        signed_data = tlv(0x30, core.Integer(3).dump() + self._digest_algorithms + encap
                          + (self._certificates if cert_req else b"") + tlv(0x31, signer_info))
        token = tlv(0x30, self._oid_signed_data + tlv(0xA0, signed_data))
        status = tlv(0x30, core.Integer(0).dump())  # PKIStatusInfo { granted }
        return tlv(0x30, status + token)


def dev_pki_services_app(pki: DevPki):
    """WSGI app serving the PKI's TSA (RFC 3161), OCSP, CRLs and certificates.

    Paths are relative to ``pki.services_base_url`` (``/dev/tsa/tsa``, ``/dev/ocsp/ocsp-ca``,
    ``/dev/crls/ca/latest.crl``, ``/dev/certs/ca/ca.crt``...); mount the app there.
    """
    from certomancer.integrations.animator import Animator, AnimatorArchStore

    from werkzeug.wrappers import Response

    tsa = DevTimestampAuthority(pki)

    class WholeSecondAnimator(Animator):
        # RFC 5280/6960 profiles want GeneralizedTime without fractions; strict DER parsers
        # (pyca/cryptography, NSS) reject certomancer's microsecond producedAt otherwise.
        def at_time(self, request):
            return super().at_time(request).replace(microsecond=0)

        def serve_timestamp_response(self, request, *, label, arch):
            return Response(tsa.respond(request.get_data()),
                            mimetype="application/timestamp-reply")

    manifest = _read_manifest(pki.directory)
    if manifest is None:
        raise DevPkiError("dev_pki_missing", f"No development PKI in {pki.directory}.")
    arch = _pki_architecture(pki.directory, manifest)
    # No time override: a header must not be able to back-date timestamps or OCSP answers.
    return WholeSecondAnimator(
        AnimatorArchStore({arch.arch_label: arch}), with_web_ui=False, allow_time_override=False
    )
