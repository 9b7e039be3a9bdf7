"""ETSI EN 319 102-1 indications: pyHanko's AdES sub-indications mapped to ours, and the
findings of one signature gathered until its report is made.
"""

from __future__ import annotations

import logging

from dataclasses import dataclass, field

from pyhanko.sign.ades.report import AdESFailure
from pyhanko.sign.validation.errors import SignatureValidationError

from verification.report import Indication, Message

logger = logging.getLogger(__name__)


def sub_name(indic) -> str:
    return indic.name if indic is not None else "GENERIC"


def indication_for(indic) -> Indication:
    return Indication.TOTAL_FAILED if isinstance(indic, AdESFailure) else Indication.INDETERMINATE


@dataclass
class Facts:
    """Intermediate findings for one signature, turned into a SignatureReport at the end."""

    indication: Indication = Indication.TOTAL_PASSED
    sub_indication: str | None = None
    findings: list = field(default_factory=list)

    def fail(self, indication: Indication, sub: str, *messages: Message) -> None:
        """Record a problem; the first, most severe one sets the indication."""
        self.findings.extend(messages)
        if indication.severity > self.indication.severity:
            self.indication, self.sub_indication = indication, sub

    def fail_validation(self, exc: Exception) -> None:
        """Record why pyHanko could not validate a signature or token: its own AdES
        sub-indication when it gave one, else a format failure (malformed algorithm
        identifiers and the like)."""
        if isinstance(exc, SignatureValidationError):
            indic = exc.ades_subindication
            self.fail(
                indication_for(indic) if indic else Indication.TOTAL_FAILED,
                sub_name(indic) if indic else "FORMAT_FAILURE",
                Message("finding.unsupported_algorithm", {"detail": exc.failure_message[:200]}),
            )
        else:  # an internal error of the library: logged, never shown to a person
            logger.info("signature not verifiable", exc_info=exc)
            self.fail(Indication.TOTAL_FAILED, "FORMAT_FAILURE", Message("finding.signature_unverifiable"))
