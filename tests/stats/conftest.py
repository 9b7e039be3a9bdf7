"""A month of hand-made results (November 2025) whose service indices are counted by hand in the tests."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from wallet_service.models import (
    Agency, BatchStatus, Citizen, Official, Rating, Result, ResultStatus, SigningBatch, SigningBatchItem, db,
)

WARD, DEPT = "000.00.15.H40", "000.00.04.H40"
BIRTH = ("1.001193.000.00.00.H40", "Thủ tục đăng ký khai sinh")
BUSINESS = ("1.001612.000.00.00.H40", "Đăng ký thành lập hộ kinh doanh")


def utc(month: int, day: int, hour: int = 0, year: int = 2025) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.timezone.utc)


# name: agency, procedure, status, created, signed, delivered, due
ROWS = {
    "r1": (WARD, BIRTH, "delivered", utc(11, 3, 2), utc(11, 4, 3), utc(11, 4, 4), utc(11, 5)),
    # Received 20:00 UTC = 03:00 on 4 November in Vietnam: counted on the 4th.
    "r2": (WARD, BIRTH, "delivered", utc(11, 3, 20), utc(11, 10, 1), utc(11, 10, 2), utc(11, 6)),
    "r3": (WARD, BUSINESS, "pending_signature", utc(11, 5, 1), None, None, utc(11, 7)),
    "r4": (WARD, BUSINESS, "pending_signature", utc(11, 6, 1), None, None, utc(1, 1, year=2099)),
    "r5": (WARD, BIRTH, "delivered", utc(11, 6, 1), utc(11, 7, 0), utc(11, 7, 1), None),
    "r6": (WARD, BIRTH, "delivered", utc(10, 20, 1), utc(10, 30, 1), utc(11, 2, 1), utc(10, 25)),
    "r7": (WARD, BUSINESS, "returned", utc(11, 8, 1), None, None, utc(11, 9)),
    "r8": (DEPT, BIRTH, "delivered", utc(11, 3, 1), utc(11, 3, 4), utc(11, 3, 5), utc(11, 10)),
}
COPIES = frozenset({"r5", "r6", "r8"})
"""Certified copies (their kind counts only in the copies' figure): signed 7/11 (ward), 30/10, 3/11 (department)."""
RATINGS = {  # result: stars, comment, updated
    "r1": (5, "Nhanh, chu đáo", utc(11, 5)),
    "r2": (2, "Chậm", utc(11, 11)),
    "r5": (4, None, utc(11, 8)),
    "r8": (1, "=HYPERLINK(\"http://x\")", utc(11, 12)),
}


@pytest.fixture
def month(app, demo) -> dict[str, str]:
    """The rows above (and their ratings); name -> result id."""
    agencies = {a.code: a for a in db.session.scalars(select(Agency))}
    citizen = db.session.scalar(select(Citizen).where(Citizen.personal_id == "022186001234"))
    ids = {}
    for n, (name, (agency, (code, proc), status, created, signed, delivered, due)) in enumerate(ROWS.items(), 1):
        result = Result(dossier_code=f"{agency}-251101-{n:04d}", procedure_code=code, procedure_name=proc,
                        title="Kết quả", citizen_id=citizen.id, citizen_name=citizen.full_name,
                        agency_id=agencies[agency].id, kind="certified_copy" if name in COPIES else "result",
                        status=ResultStatus(status), original_sha256="0" * 64,
                        original_size=1, created_at=created, signed_at=signed, delivered_at=delivered, due_at=due)
        db.session.add(result)
        db.session.flush()
        ids[name] = result.id
    for name, (stars, comment, updated) in RATINGS.items():
        agency = agencies[ROWS[name][0]]
        db.session.add(Rating(result_id=ids[name], citizen_id=citizen.id, agency_id=agency.id, stars=stars,
                              comment=comment, created_at=updated, updated_at=updated))
    # r3 waits in official1's batch for their approval; r4 in the agency's queue.
    official1 = db.session.scalar(select(Official).where(Official.username == "official1"))
    batch = SigningBatch(official_id=official1.id, status=BatchStatus.AWAITING_AUTHORISATION)
    db.session.add(batch)
    db.session.flush()
    db.session.add(SigningBatchItem(batch_id=batch.id, result_id=ids["r3"]))
    db.session.commit()
    return ids
