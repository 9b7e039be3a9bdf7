"""PAdES baseline levels (ETSI EN 319 142-1) and what each one needs."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .errors import InvalidRequest


class PadesLevel(str, enum.Enum):
    """PAdES baseline signature level."""

    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @classmethod
    def parse(cls, value: "str | PadesLevel") -> "PadesLevel":
        """Accept ``B-LT``, ``b_lt``, ``PAdES-B-LT``..., or raise :class:`InvalidRequest`."""
        if isinstance(value, PadesLevel):
            return value
        text = str(value).strip().upper().replace("_", "-").removeprefix("PADES-")
        for level in cls:
            if level.value == text:
                return level
        raise InvalidRequest(
            f"Unknown PAdES level {value!r}; use one of B-B, B-T, B-LT, B-LTA.",
            code="unknown_level",
        )

    @property
    def needs_timestamp(self) -> bool:
        """B-T and above carry an RFC 3161 signature timestamp."""
        return self is not PadesLevel.B_B

    @property
    def needs_revocation_data(self) -> bool:
        """B-LT and above embed certificates, OCSP responses and CRLs in the DSS."""
        return self in (PadesLevel.B_LT, PadesLevel.B_LTA)

    @property
    def needs_document_timestamp(self) -> bool:
        """B-LTA ends with a document timestamp over everything, DSS included."""
        return self is PadesLevel.B_LTA


@dataclass(frozen=True)
class TrustServices:
    """Where to get timestamps and how to reach revocation services."""

    tsa_url: str | None = None
    """RFC 3161 endpoint; required for B-T and above."""
    http_timeout: float = 20.0
    """Seconds to wait for the TSA, OCSP responders and CRL servers."""
