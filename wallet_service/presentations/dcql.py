"""What a clerk may ask a wallet for, as a DCQL query (OpenID4VP §6), and whether a presented
credential gives what was asked. The query names one credential (`result`) of this service's
result type; a clerk picks a procedure (a result type) or any result, and which of the citizen's
personal claims to see. The result's own facts are always disclosed (they are not selectively
disclosable), so they are asked for always."""
from __future__ import annotations

from dataclasses import dataclass

from ..issuer.metadata import FORMAT, SELECTIVELY_DISCLOSABLE, vct
from ..results.formats import PROCEDURE_CODE

CREDENTIAL_ID = "result"
RESULT_CLAIMS = ("result_id", "title", "procedure_code", "procedure_name", "dossier_code", "agency",
                 "issuance_date", "document")
PERSONAL_CLAIMS = SELECTIVELY_DISCLOSABLE
"""The citizen's personal data: each one only when the clerk asks for it."""


class InvalidAsk(ValueError):
    """The clerk's choice cannot be asked (unknown claim, malformed procedure code)."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Ask:
    """What the clerk wants to see."""

    procedure_code: str | None
    """Only a result of this procedure; None: any result."""
    claims: tuple[str, ...]
    """The personal claims to disclose, in `PERSONAL_CLAIMS` order."""

    @classmethod
    def parse(cls, procedure_code: object, claims: object) -> Ask:
        """From a form or JSON body; raises `InvalidAsk` naming the field."""
        if procedure_code in (None, ""):
            procedure_code = None
        elif not isinstance(procedure_code, str) or not PROCEDURE_CODE.fullmatch(procedure_code):
            raise InvalidAsk("procedure_code must look like 1.001612.000.00.00.H40.", "procedure_code")
        if claims is None:
            claims = []
        if not isinstance(claims, list) or not all(isinstance(c, str) for c in claims):
            raise InvalidAsk("claims must be a list of claim names.", "claims")
        unknown = sorted(set(claims) - set(PERSONAL_CLAIMS))
        if unknown:
            raise InvalidAsk(f"Unknown claims: {', '.join(unknown)}; choose among {', '.join(PERSONAL_CLAIMS)}.",
                             "claims")
        return cls(procedure_code, tuple(c for c in PERSONAL_CLAIMS if c in claims))

    def to_dict(self) -> dict:
        return {"procedure_code": self.procedure_code, "claims": list(self.claims)}

    @classmethod
    def from_dict(cls, data: dict) -> Ask:
        return cls(data.get("procedure_code"), tuple(data.get("claims") or ()))


def dcql_query(ask: Ask, issuer: str) -> dict:
    claims = []
    for name in RESULT_CLAIMS:
        claim: dict = {"path": [name]}
        if name == "procedure_code" and ask.procedure_code is not None:
            claim["values"] = [ask.procedure_code]
        claims.append(claim)
    claims += [{"path": [name]} for name in ask.claims]
    return {"credentials": [{"id": CREDENTIAL_ID, "format": FORMAT, "meta": {"vct_values": [vct(issuer)]},
                             "claims": claims}]}


def missing_claims(ask: Ask, claims: dict) -> list[str]:
    """The asked claims the presented credential does not show (a claim of another procedure counts)."""
    missing = [name for name in (*RESULT_CLAIMS, *ask.claims) if name not in claims]
    if ask.procedure_code is not None and claims.get("procedure_code") != ask.procedure_code:
        missing.append("procedure_code")
    return missing
