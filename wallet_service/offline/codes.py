"""The offline codes of a signing batch's results, signed with the agency's key (the key of the batch's
seal) in one authorisation for the whole batch; the stamp prints each beside the link QR code."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask import Flask

from offline_qr import ResultClaims, issue_codes

from ..keys.directory import key_directory
from ..models import Official, Result, utcnow


VIETNAM_TIME = dt.timezone(dt.timedelta(hours=7))


def result_claims(result: Result, agency_code: str, now: dt.datetime) -> ResultClaims:
    """The claims of `result`'s code; a result without an issue date is issued the day it is signed."""
    personal_id = result.citizen.personal_id if result.citizen is not None else ""
    return ResultClaims(
        result_id=result.id, agency_code=agency_code, dossier_code=result.dossier_code, signed_at=now,
        issued_on=result.issued_on or now.astimezone(VIETNAM_TIME).date(),
        pdf_sha256=bytes.fromhex(result.original_sha256),
        holder_name=result.citizen_name, id_last4=personal_id[-4:] or None, procedure_code=result.procedure_code,
        title=result.title, procedure_name=result.procedure_name,
    )


def batch_codes(app: Flask, official: Official, results: Sequence[Result]) -> dict[str, str]:
    """Result id -> offline code, for `results` signed by `official`'s agency."""
    agency = official.agency.code
    now = utcnow()
    claims = [result_claims(result, agency, now) for result in results]
    return dict(zip((r.id for r in results), issue_codes(key_directory(app).agency_key(agency), claims)))
