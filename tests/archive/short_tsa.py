"""A small PKI for the archive tests: a root, an agency seal, and two TSAs under the root: `tsa-old`
whose certificate expires in `OLD_TSA_DAYS` days (the one documents are first timestamped by) and
`tsa-new` valid for ten years (the certificate a TSA rolls over to). CRLs for both, served by
certomancer over loopback HTTP; times in whole seconds as strict parsers (NSS) want them."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.pki import serve

OLD_TSA_DAYS = 400
ARCH = "archive"
_LABELS = ("root", "seal", "tsa-old", "tsa-new")


@dataclass(frozen=True)
class ShortTsaPki:
    arch: object
    """certomancer's PKI architecture."""
    base_url: str
    issued_at: dt.datetime
    """The certificates' `valid-from` (a day before the PKI was made)."""

    def url(self, service: str, label: str) -> str:
        return f"{self.base_url}/{ARCH}/{service}/{label}"

    def cert(self, label: str) -> x509.Certificate:
        from certomancer.registry import CertLabel

        return self.arch.get_cert(CertLabel(label))

    @property
    def root(self) -> x509.Certificate:
        return self.cert("root")

    @property
    def old_tsa_expiry(self) -> dt.datetime:
        return self.cert("tsa-old")["tbs_certificate"]["validity"]["not_after"].native


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _write_keys(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for label in _LABELS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (folder / f"{label}.key.pem").write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _certificate(issuer: str, start: dt.datetime, days: int, *extensions) -> dict:
    crl = {"id": "crl_distribution_points", "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["root"]}}}
    return {"issuer": issuer, "validity": {"valid-from": _iso(start), "valid-to": _iso(start + dt.timedelta(days=days))},
            "extensions": [*extensions, crl]}


def _config(folder: Path, base_url: str, start: dt.datetime) -> dict:
    usage = {"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": ["digital_signature"]}}
    stamping = {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]}
    seal_usage = {"id": "key_usage", "critical": True,
                  "smart-value": {"schema": "key-usage", "params": ["digital_signature", "non_repudiation"]}}
    root = {"subject": "root", "issuer": "root", "validity": {"valid-from": _iso(start),
            "valid-to": _iso(start + dt.timedelta(days=7300))},
            "extensions": [{"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                           {"id": "key_usage", "critical": True, "smart-value": {
                               "schema": "key-usage", "params": ["digital_signature", "key_cert_sign", "crl_sign"]}}]}
    return {
        "external-url-prefix": base_url,
        "keysets": {ARCH: {"path-prefix": str(folder), "keys": {k: {"path": f"{k}.key.pem"} for k in _LABELS}}},
        "pki-architectures": {ARCH: {
            "keyset": ARCH,
            "entity-defaults": {"country-name": "VN"},
            "entities": {
                "root": {"common-name": "Root CA lưu trữ thử nghiệm"},
                "seal": {"common-name": "Trung tâm Phục vụ hành chính công (thử nghiệm)"},
                "tsa-old": {"common-name": "Dịch vụ dấu thời gian — chứng thư sắp hết hạn"},
                "tsa-new": {"common-name": "Dịch vụ dấu thời gian — chứng thư mới"},
            },
            "certs": {
                "root": root,
                "seal": _certificate("root", start, 3650, seal_usage),
                "tsa-old": _certificate("root", start, OLD_TSA_DAYS, usage, stamping),
                "tsa-new": _certificate("root", start, 3650, usage, stamping),
            },
            "services": {
                "crl-repo": {"root": {"for-issuer": "root", "signing-key": "root", "simulated-update-schedule": "P7D"}},
                "time-stamping": {label: {"signing-key": label, "signing-cert": label} for label in ("tsa-old", "tsa-new")},
            },
        }},
    }


def serve_short_tsa_pki(folder: Path):
    """The PKI, made now, and its services on a loopback port; returns it and the server."""
    from certomancer.integrations.animator import Animator, AnimatorArchStore
    from certomancer.registry import ArchLabel, CertomancerConfig

    class WholeSecondAnimator(Animator):
        def at_time(self, request):
            return super().at_time(request).replace(microsecond=0)

    holder = {}
    url, server = serve(lambda environ, start_response: holder["app"](environ, start_response))
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(days=1)
    _write_keys(folder / "keys")
    config = CertomancerConfig(_config(folder / "keys", url, start), key_search_dir=str(folder / "keys"))
    arch = config.get_pki_arch(ArchLabel(ARCH))
    holder["app"] = WholeSecondAnimator(AnimatorArchStore({arch.arch_label: arch}), with_web_ui=False)
    return ShortTsaPki(arch, url, start), server
