"""What the issuer publishes about itself: OpenID4VCI credential issuer metadata (§12.2), OAuth
authorization server metadata (RFC 8414, §12.3) and JWT VC issuer metadata (SD-JWT VC §5)."""
from __future__ import annotations

from dataclasses import dataclass

from .keys import IssuerKey

CONFIGURATION_ID = "administrative_result"
"""The one credential configuration: the result of an administrative procedure, SD-JWT VC."""
FORMAT = "dc+sd-jwt"
VCT_PATH = "/vct/administrative-result/v1"
"""The `vct` is the issuer URL plus this path: a collision-resistant name the issuer controls."""
PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_ALGS = ("ES256", "ES384", "ES512", "EdDSA", "PS256", "PS384", "PS512", "RS256")
"""Asymmetric JWS algorithms accepted for key proofs (never `none`, never a MAC)."""
DPOP_ALGS = ("ES256", "ES384", "ES512", "EdDSA", "PS256")
"""Algorithms accepted for DPoP proofs (RFC 9449 §5.1)."""
AUTHORIZATION_CODE_GRANT = "authorization_code"
BATCH_SIZE = 10
"""The most key proofs (so credentials) one credential request may carry."""
ATTESTATION_AUTH = "attest_jwt_client_auth"


@dataclass(frozen=True)
class Policy:
    """What the issuer requires of wallets (from `CREDENTIAL_ISSUER_MODE` and `CREDENTIAL_KEY_ATTESTATION`)."""

    haip: bool = False
    """DPoP and a wallet attestation are required."""
    key_attestation_required: bool = False

# Claim path -> (Vietnamese, English) display names, in the order a wallet should show them.
_CLAIMS = (
    (("title",), "Tên kết quả", "Title"),
    (("procedure_name",), "Thủ tục hành chính", "Administrative procedure"),
    (("procedure_code",), "Mã thủ tục", "Procedure code"),
    (("dossier_code",), "Mã hồ sơ", "Dossier code"),
    (("agency", "name"), "Cơ quan cấp", "Issuing agency"),
    (("agency", "code"), "Mã cơ quan", "Agency code"),
    (("issuance_date",), "Ngày cấp", "Date of issue"),
    (("full_name",), "Họ và tên", "Full name"),
    (("personal_id",), "Số định danh cá nhân", "Personal ID number"),
    (("birthdate",), "Ngày sinh", "Date of birth"),
    (("document", "sha256"), "SHA-256 của bản PDF đã ký", "SHA-256 of the signed PDF"),
    (("document", "uri"), "Tải bản PDF đã ký", "Signed PDF download"),
    (("result_id",), "Mã kết quả", "Result ID"),
)
SELECTIVELY_DISCLOSABLE = ("full_name", "personal_id", "birthdate")


def vct(issuer: str) -> str:
    return issuer + VCT_PATH


def _proof_types(policy: Policy) -> dict:
    required = {"key_attestations_required": {}} if policy.key_attestation_required else {}
    return {
        "jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGS), **required},
        "attestation": {"proof_signing_alg_values_supported": list(PROOF_ALGS), **required},
    }


def credential_issuer_metadata(issuer: str, key: IssuerKey, policy: Policy = Policy()) -> dict:
    claims = [
        {
            "path": list(path),
            "display": [{"name": vi, "locale": "vi"}, {"name": en, "locale": "en"}],
            **({"mandatory": True} if path[0] not in SELECTIVELY_DISCLOSABLE else {}),
        }
        for path, vi, en in _CLAIMS
    ]
    return {
        "credential_issuer": issuer,
        "credential_endpoint": f"{issuer}/credential",
        "nonce_endpoint": f"{issuer}/nonce",
        "notification_endpoint": f"{issuer}/notification",
        "batch_credential_issuance": {"batch_size": BATCH_SIZE},
        "display": [
            {"name": "Kết quả thủ tục hành chính tỉnh Quảng Ninh", "locale": "vi"},
            {"name": "Quảng Ninh administrative procedure results", "locale": "en"},
        ],
        "credential_configurations_supported": {
            CONFIGURATION_ID: {
                "format": FORMAT,
                "vct": vct(issuer),
                "scope": CONFIGURATION_ID,
                "cryptographic_binding_methods_supported": ["jwk"],
                "credential_signing_alg_values_supported": [key.alg],
                "proof_types_supported": _proof_types(policy),
                "credential_metadata": {
                    "display": [
                        {
                            "name": "Kết quả giải quyết thủ tục hành chính",
                            "locale": "vi",
                            "description": "Kết quả đã được ký số, kèm mã băm của bản PDF.",
                        },
                        {
                            "name": "Administrative procedure result",
                            "locale": "en",
                            "description": "A digitally signed result, with the hash of its PDF.",
                        },
                    ],
                    "claims": claims,
                },
            }
        },
    }


def type_metadata(issuer: str) -> dict:
    """SD-JWT VC Type Metadata (§6) served at the `vct` URL: names, claim labels, and which claims
    are always selectively disclosable (the citizen's personal data) or never (the rest)."""
    return {
        "vct": vct(issuer),
        "name": "Administrative procedure result",
        "description": "The result of an administrative procedure of Quảng Ninh province, signed (PAdES) and hashed.",
        "display": [
            {"locale": "vi", "name": "Kết quả giải quyết thủ tục hành chính", "description": "Kết quả đã được ký số."},
            {"locale": "en", "name": "Administrative procedure result", "description": "A digitally signed result."},
        ],
        "claims": [
            {
                "path": list(path),
                "display": [{"locale": "vi", "label": vi}, {"locale": "en", "label": en}],
                "sd": "always" if path[0] in SELECTIVELY_DISCLOSABLE else "never",
                **({"mandatory": True} if path[0] not in SELECTIVELY_DISCLOSABLE else {}),
            }
            for path, vi, en in _CLAIMS
        ],
    }


def authorization_server_metadata(issuer: str, policy: Policy = Policy()) -> dict:
    """RFC 8414 with PAR (RFC 9126), PKCE (RFC 7636), DPoP (RFC 9449) and attestation-based client
    authentication; in `haip` mode that is the only client authentication."""
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/token",
        "authorization_endpoint": f"{issuer}/authorize",
        "pushed_authorization_request_endpoint": f"{issuer}/par",
        "require_pushed_authorization_requests": True,
        "grant_types_supported": [PRE_AUTHORIZED_GRANT, AUTHORIZATION_CODE_GRANT],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_details_types_supported": ["openid_credential"],
        "scopes_supported": [CONFIGURATION_ID],
        "dpop_signing_alg_values_supported": list(DPOP_ALGS),
        "token_endpoint_auth_methods_supported": [ATTESTATION_AUTH] if policy.haip else ["none", ATTESTATION_AUTH],
        "client_attestation_signing_alg_values_supported": list(PROOF_ALGS),
        "client_attestation_pop_signing_alg_values_supported": list(PROOF_ALGS),
        "pre-authorized_grant_anonymous_access_supported": not policy.haip,
    }


def jwt_vc_issuer_metadata(issuer: str, key: IssuerKey) -> dict:
    # The key also carries its chain (x5c), for verifiers that resolve keys by certificate.
    return {"issuer": issuer, "jwks": {"keys": [key.public_jwk()]}}
