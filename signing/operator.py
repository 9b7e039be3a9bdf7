"""Operator entry point: sign one PDF file (what ``wallet-service sign FILE.pdf`` runs)."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidDocument, SigningError
from .journal import SqliteBatchJournal
from .keys import KeySource
from .pipeline import BatchItem, BatchSigner, SignatureStep, SignerInfo
from .profiles import PadesLevel, TrustServices
from .stamp import StampFont, StampText


@dataclass(frozen=True)
class SignedFile:
    """What :func:`sign_file` produced."""

    out_path: Path
    """Where the signed PDF was written."""
    signer: SignerInfo
    """Who signed, at which level."""
    size: int
    """Bytes written."""


def sign_file(in_path: "str | Path", out_path: "str | Path", level: "str | PadesLevel",
              key_source: KeySource, *, tsa_url: str | None = None,
              stamp: StampText | None = None, qr_url: str | None = None,
              field_name: str = "Signature1", reason: str | None = None) -> SignedFile:
    """Sign ``in_path`` into ``out_path`` at ``level`` with ``key_source``.

    The output appears atomically (never half-written). Problems raise
    :class:`~signing.errors.SigningError` subclasses with a code and a message.
    """
    level = PadesLevel.parse(level)
    in_path, out_path = Path(in_path), Path(out_path)
    try:
        data = in_path.read_bytes()
    except OSError as e:
        raise InvalidDocument(f"Cannot read {in_path}: {e.strerror}.", code="unreadable_file") from e
    signer = BatchSigner(trust_services=TrustServices(tsa_url=tsa_url),
                         font=StampFont.load() if stamp is not None else None, workers=1)
    step = SignatureStep(key_source, level, field_name, visible=stamp is not None, reason=reason)
    with tempfile.TemporaryDirectory(prefix="wallet-sign-") as tmp:
        journal = SqliteBatchJournal(Path(tmp) / "journal.db")
        try:
            (outcome,) = signer.sign([BatchItem(in_path.name, data, stamp, qr_url)], [step], journal)
        finally:
            journal.close()
    if outcome.error is not None:
        raise SigningError(outcome.error.message, code=outcome.error.code)
    fd, tmp_out = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(outcome.signed_pdf)
    os.replace(tmp_out, out_path)
    return SignedFile(out_path, outcome.signers[0], len(outcome.signed_pdf))
