"""What the issuer publishes about itself: OpenID4VCI credential issuer metadata (§12.2), OAuth
authorization server metadata (RFC 8414, §12.3) and JWT VC issuer metadata (SD-JWT VC §5)."""
from __future__ import annotations

from .keys import IssuerKey

CONFIGURATION_ID = "administrative_result"
"""The one credential configuration: the result of an administrative procedure, SD-JWT VC."""
FORMAT = "dc+sd-jwt"
VCT_PATH = "/vct/administrative-result/v1"
"""The `vct` is the issuer URL plus this path: a collision-resistant name the issuer controls."""
PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_ALGS = ("ES256", "ES384", "ES512", "EdDSA", "PS256", "PS384", "PS512", "RS256")
"""Asymmetric JWS algorithms accepted for key proofs (never `none`, never a MAC)."""

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


def credential_issuer_metadata(issuer: str, key: IssuerKey) -> dict:
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
                "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGS)}},
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


def authorization_server_metadata(issuer: str) -> dict:
    # Only the pre-authorised code grant: no authorization endpoint, so no response types (§12.3).
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "token_endpoint_auth_methods_supported": ["none"],
        "pre-authorized_grant_anonymous_access_supported": True,
    }


def jwt_vc_issuer_metadata(issuer: str, key: IssuerKey) -> dict:
    return {"issuer": issuer, "jwks": {"keys": [key.public_jwk()]}}
