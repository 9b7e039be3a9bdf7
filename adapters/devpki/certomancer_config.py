"""The certomancer configuration of a development PKI, built from its manifest: which
entities, certificates (with their extensions and validity) and services it has."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from adapters.devpki.model import PROVINCE, DevPkiIdentity, certomancer_label

ARCH = "dev"
CA_KEYS = ("root", "ca", "tsa", "ocsp-root", "ocsp-ca")
"""Keys of the PKI's own entities (everything but the end entities)."""
_ISSUERS = ("root", "ca")


def iso_time(dt: datetime) -> str:
    """``dt`` as certomancer's configuration writes times."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S+0000")


def certomancer_config(directory: Path, manifest: dict) -> dict:
    start = manifest["valid_from"]
    identities = [DevPkiIdentity(**i) for i in manifest["identities"]]
    keys = {k: {"path": f"{k}.key.pem"} for k in CA_KEYS}
    keys.update({certomancer_label(i.key): {"path": f"{certomancer_label(i.key)}.key.pem"} for i in identities})
    certs = _ca_certificates(start)
    for ident in identities:
        certs[certomancer_label(ident.key)] = _end_entity_certificate(start)
    return {
        "external-url-prefix": manifest["services_base_url"].rstrip("/"),
        "keysets": {ARCH: {"path-prefix": str(directory / "keys"), "keys": keys}},
        "pki-architectures": {
            ARCH: {
                "keyset": ARCH,
                "entity-defaults": {"country-name": "VN"},
                "entities": _entities(identities),
                "certs": certs,
                "services": _services(),
            }
        },
    }


def pki_architecture(directory: Path, manifest: dict):
    """Certomancer's PKI architecture for the manifest (certificates rebuilt from the keys)."""
    from certomancer.registry import ArchLabel, CertomancerConfig

    config = CertomancerConfig(
        certomancer_config(directory, manifest), key_search_dir=str(directory / "keys")
    )
    return config.get_pki_arch(ArchLabel(ARCH))


def _validity(start: str, years: int) -> dict:
    origin = datetime.fromisoformat(start.replace("+0000", "+00:00"))
    return {"valid-from": start, "valid-to": iso_time(origin + timedelta(days=365 * years))}


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


def _entities(identities: list[DevPkiIdentity]) -> dict[str, dict]:
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
        entities[certomancer_label(ident.key)] = {
            "common-name": ident.common_name,
            "organization-name": ident.organization,
            "locality-name": PROVINCE,
        }
    return entities


def _ca_certificates(start: str) -> dict[str, dict]:
    """Root, agency-level CA, TSA and OCSP responder certificates."""
    root_ca_ext = [
        {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
        _key_usage("digital_signature", "key_cert_sign", "crl_sign"),
    ]
    certs: dict[str, dict] = {
        "root": {
            "subject": "root",
            "issuer": "root",
            "validity": _validity(start, 20),
            "extensions": root_ca_ext,
        },
        "ca": {
            "issuer": "root",
            "validity": _validity(start, 10),
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
            "validity": _validity(start, 10),
            "extensions": [
                _key_usage("digital_signature"),
                {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                *_revocation_pointers("root"),
            ],
        },
    }
    for issuer in _ISSUERS:
        certs[f"ocsp-{issuer}"] = {
            "issuer": issuer,
            "validity": _validity(start, 10),
            "extensions": [
                _key_usage("digital_signature"),
                {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                {"id": "ocsp_no_check"},
            ],
        }
    return certs


def _end_entity_certificate(start: str) -> dict:
    """An official's or agency's signing certificate, issued by the agency-level CA."""
    return {
        "issuer": "ca",
        "validity": _validity(start, 3),
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


def _services() -> dict:
    """OCSP responders and CRL repositories for both CAs, certificate repositories, the TSA."""
    return {
        "ocsp": {
            f"ocsp-{issuer}": {
                "for-issuer": issuer,
                "responder-cert": f"ocsp-{issuer}",
                "signing-key": f"ocsp-{issuer}",
            }
            for issuer in _ISSUERS
        },
        "crl-repo": {
            issuer: {
                "for-issuer": issuer,
                "signing-key": issuer,
                "simulated-update-schedule": "P7D",
            }
            for issuer in _ISSUERS
        },
        "cert-repo": {
            "root": {"for-issuer": "root", "publish-issued-certs": True},
            "ca": {"for-issuer": "ca", "publish-issued-certs": True},
        },
        "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
    }
