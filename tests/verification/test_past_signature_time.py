"""A result stays verifiable after the OCSP responses its DSS carries have gone stale (the
development PKI's after 10 minutes, real ones after days): a signature without a trusted timestamp
of its own (the official's, PAdES B-B) is judged at the time of the earliest document timestamp
that passed and covers it, with the embedded revocation data (EN 319 102-1 past signature
validation). The clock is moved forward for the whole process, pyHanko's "now" included."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.verification.test_dev_pki_documents import _flip_byte_in_first_revision, _with_added_page
from verification import Indication, RevocationStatus
from verification.engine import verify_document

LATER = [dt.timedelta(days=30), dt.timedelta(days=365 * 5)]


def _verify_later(data: bytes, policy, later: dt.timedelta):
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + later, tick=False):
        return verify_document(data, policy)


def _codes(signature) -> list[str]:
    return [m.code for m in signature.findings]


@pytest.mark.parametrize("later", LATER, ids=["30-days", "5-years"])
def test_a_decree30_result_passes_after_its_ocsp_responses_went_stale(trusted_policy, decree30_result, later):
    report = _verify_later(decree30_result, trusted_policy, later)

    assert (report.indication, report.sub_indication) == (Indication.TOTAL_PASSED, None)
    official, seal = report.signatures
    (stamp,) = report.document_timestamps
    assert (official.field_name, seal.field_name) == ("Sig1-CanBo", "Sig2-CoQuan")
    for signature in report.signatures:
        assert (signature.indication, signature.trusted, signature.revocation) == (
            Indication.TOTAL_PASSED, True, RevocationStatus.GOOD)
    # the official signed B-B: judged at the document timestamp's time, and the report says so
    assert official.timestamp is None and official.validation_time == stamp.timestamp.time
    (finding,) = [m for m in official.findings if m.code == "finding.judged_at_document_timestamp"]
    body = official.to_dict("vi")
    assert body["validation_time"] == stamp.timestamp.time.isoformat()
    assert finding.to_dict("vi")["text"].startswith("Chữ ký không có dấu thời gian tin cậy của riêng mình")
    assert stamp.field_name in finding.to_dict("vi")["text"]
    assert finding.to_dict("en")["text"].startswith("The signature has no trusted timestamp of its own")
    # the seal is judged at its own signature timestamp, as before
    assert seal.validation_time == seal.timestamp.time
    assert "finding.judged_at_document_timestamp" not in _codes(seal)


def test_a_fresh_decree30_result_is_judged_at_its_document_timestamp(verifier, decree30_result):
    report = verifier.verify(decree30_result)

    assert report.indication is Indication.TOTAL_PASSED
    official = report.signatures[0]
    assert official.validation_time == report.document_timestamps[0].timestamp.time
    assert "finding.judged_at_document_timestamp" in _codes(official)


@pytest.mark.parametrize(
    ("change", "sub_indication"),
    [(_with_added_page, "FORMAT_FAILURE"), (_flip_byte_in_first_revision, "HASH_FAILURE")],
    ids=["page-added", "byte-flipped"],
)
def test_a_result_changed_after_its_timestamp_still_fails_later(trusted_policy, decree30_result, change,
                                                                 sub_indication):
    report = _verify_later(change(decree30_result), trusted_policy, LATER[0])

    assert (report.indication, report.sub_indication) == (Indication.TOTAL_FAILED, sub_indication)
    official = report.signatures[0]
    assert official.indication is not Indication.TOTAL_PASSED
    # a timestamp that did not pass proves nothing: the official's signature is judged now
    assert "finding.judged_at_document_timestamp" not in _codes(official)
    assert official.validation_time != report.document_timestamps[0].timestamp.time


def test_a_signer_revoked_before_the_document_timestamp_stays_revoked(trusted_policy, certificate_cases):
    """Revoked a day before the document timestamp, no timestamp of its own: the document timestamp
    proves the signature existed only after the revocation, so nothing shows it was made before."""
    report = _verify_later(certificate_cases["revoked_unproven"], trusted_policy, LATER[0])

    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, "REVOKED_NO_POE")
    (signature,) = report.signatures
    assert signature.revocation is RevocationStatus.REVOKED and not signature.trusted
    assert signature.validation_time == report.document_timestamps[0].timestamp.time


def test_a_signer_whose_certificate_expired_before_the_document_timestamp_stays_unproven(
        trusted_policy, certificate_cases):
    report = _verify_later(certificate_cases["expired_unproven"], trusted_policy, LATER[0])

    assert (report.indication, report.sub_indication) == (Indication.INDETERMINATE, "OUT_OF_BOUNDS_NO_POE")
    assert "finding.certificate_expired" in _codes(report.signatures[0])
