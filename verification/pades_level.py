"""The PAdES baseline level (ETSI EN 319 142-1) a signature's structure reaches."""

from __future__ import annotations

from verification.document import Document, is_timestamp
from verification.report import TimestampInfo


def pades_level(emb, doc: Document, subfilter: str | None, timestamp: TimestampInfo | None) -> str | None:
    """Highest PAdES baseline level (ETSI EN 319 142-1) the signature's structure reaches."""
    if subfilter != "/ETSI.CAdES.detached":
        return None
    covered_by_doc_ts = doc.document_timestamp_after(emb)
    if not ((timestamp is not None and timestamp.intact) or covered_by_doc_ts):
        return "B-B"
    if not (doc.dss_ocsps or doc.dss_crls):
        return "B-T"
    if covered_by_doc_ts and _dss_before_last_timestamp(emb, doc):
        return "B-LTA"
    return "B-LT"


def _dss_before_last_timestamp(emb, doc: Document) -> bool:
    """A document timestamp after the signature covers a revision that already had a DSS
    (the validation data is then protected by that timestamp)."""
    for other in doc.embedded:
        if is_timestamp(other) and other.signed_revision > emb.signed_revision:
            try:
                if "/DSS" in doc.reader.get_historical_root(other.signed_revision):
                    return True
            except Exception:
                continue
    return False
