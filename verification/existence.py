"""Proofs of existence (POE) that a document's own document timestamps give its signatures.

A signature without a trusted timestamp of its own is judged at the earliest time a document
timestamp proves it existed (EN 319 102-1 past signature validation, as PAdES-LTA intends and
pyHanko's LTV validation does): the OCSP/CRL data in the DSS, made around signing, then still
speaks for that time long after it has gone stale. Only a token whose own verification passed
in full (intact, from a trusted authority, nothing wrong after it) counts, and only for a
signature whose whole signed revision, its CMS included, lies in the bytes the token covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from verification.report import Indication, Integrity, SignatureReport


@dataclass(frozen=True)
class ExistenceProof:
    """A document timestamp that proves the bytes before ``covered_end`` existed at ``time``."""

    time: datetime
    field_name: str
    covered_end: int
    """End of the first part of the token's /ByteRange: every byte before it is timestamped."""


def existence_proof(report: SignatureReport) -> ExistenceProof | None:
    """What a verified document timestamp proves; None unless it passed in full."""
    token, byte_range = report.timestamp, report.byte_range
    if report.kind != "document_timestamp" or report.indication is not Indication.TOTAL_PASSED:
        return None
    if report.integrity is not Integrity.INTACT or token is None or not (token.intact and token.trusted):
        return None
    if len(byte_range) != 4 or byte_range[0] != 0:
        return None
    return ExistenceProof(token.time, report.field_name, byte_range[1])


def earliest_proof(proofs, byte_range: tuple[int, ...]) -> ExistenceProof | None:
    """The earliest of ``proofs`` whose timestamped bytes hold the whole revision a signature with
    ``byte_range`` signed (its signed bytes and its /Contents between them)."""
    if len(byte_range) != 4 or byte_range[0] != 0 or min(byte_range) < 0:
        return None
    end = byte_range[2] + byte_range[3]
    return min((p for p in proofs if end <= p.covered_end), key=lambda p: p.time, default=None)
