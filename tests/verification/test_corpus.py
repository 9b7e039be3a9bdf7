"""Every file of the DSS PAdES corpus (signed by other tools, many hostile) against the
verdicts in its manifest, verified without trust anchors as the manifest prescribes."""

from __future__ import annotations

import json
import time

import pytest

from verification import Indication, Integrity, VerificationError
from tests.corpus import DSS_PADES

CORPUS = DSS_PADES
MANIFEST = json.loads((CORPUS / "manifest.json").read_text("utf-8"))

KNOWN_GAPS: dict[str, str] = {}
"""Files whose manifest verdict this verifier does not reach yet (xfail, strict), with why."""


def _outcome(verifier, data):
    started = time.monotonic()
    try:
        result = verifier.verify(data)
    except VerificationError as exc:
        result = exc
    return result, time.monotonic() - started


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_corpus_file_matches_manifest(untrusting_verifier, entry, request):
    if entry["file"] in KNOWN_GAPS:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_GAPS[entry["file"]], strict=True))
    expected = entry["expected"]
    result, elapsed = _outcome(untrusting_verifier, (CORPUS / entry["file"]).read_bytes())

    limit_ms = expected.get("must_terminate_within_ms")
    if limit_ms:
        assert elapsed * 1000 < limit_ms, f"took {elapsed:.1f}s"
    if expected.get("input_rejected"):
        assert isinstance(result, VerificationError)
        return

    if isinstance(result, VerificationError):
        # a clean refusal is right only where the manifest expects no signature verdict
        assert result.code in ("no_signature", "unreadable_pdf", "verification_timeout")
        assert expected["integrity"] is None and expected["indication_without_trust_anchors"] is None
        assert expected["signature_count"] in (None, 0)
        if expected["signature_count"] == 0:
            assert result.code == "no_signature"
        return

    report = result
    # without trust anchors nothing can pass
    assert report.indication is not Indication.TOTAL_PASSED
    every = report.signatures + report.document_timestamps
    if expected["integrity"] is not None:
        broken = any(s.integrity is Integrity.BROKEN for s in every)
        assert ("broken" if broken else "intact") == expected["integrity"]
    if expected["modified_after_signing"] is not None:
        assert report.modified_after_signing is expected["modified_after_signing"]
    if expected["indication_without_trust_anchors"] is not None:
        assert report.indication.value == expected["indication_without_trust_anchors"]
    if expected["sub_indication"] is not None:
        assert report.sub_indication == expected["sub_indication"]
    if expected["signature_count"] is not None:
        assert len(report.signatures) == expected["signature_count"]
    if expected.get("document_timestamp_count") is not None:
        assert len(report.document_timestamps) == expected["document_timestamp_count"]
    by_field = {s.field_name: s for s in every}
    for verdict in expected.get("per_signature") or ():
        signature = by_field[verdict["field"]]
        assert signature.integrity.value == verdict["integrity"]
        assert signature.indication.value == verdict["indication_without_trust_anchors"]
        if verdict["sub_indication"] is not None:
            assert signature.sub_indication == verdict["sub_indication"]


def test_every_corpus_report_serialises_in_both_languages(untrusting_verifier):
    for entry in MANIFEST:
        result, _ = _outcome(untrusting_verifier, (CORPUS / entry["file"]).read_bytes())
        for lang in ("vi", "en"):
            payload = result.to_dict(lang)
            json.dumps(payload)  # JSON-safe
            assert payload.get("message")
