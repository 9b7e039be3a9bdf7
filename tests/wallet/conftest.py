"""Fixtures for the citizen wallet: the demo results with some signed and one annulled."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from wallet_service.access import CITIZEN, Principal
from wallet_service.models import Citizen, ResultStatus, db, utcnow
from wallet_service.results import annulment
from wallet_service.services import services

from ..conftest import official_principal
from .factories import CITIZEN1, CITIZEN2  # noqa: F401 (the wallet tests import them from here)
from wallet_service.dev.demo import demo_code


def citizen_principal(personal_id: str) -> Principal:
    citizen = db.session.scalar(select(Citizen).where(Citizen.personal_id == personal_id))
    return Principal(CITIZEN, citizen.id, citizen.full_name, personal_id=personal_id)


@pytest.fixture
def wallet_results(app, demo_results) -> dict[str, str]:
    """citizen1's results in each stage, by stage name -> result id (other citizens' left pending)."""
    issued = demo_results[demo_code("000.00.04.H40", 2)]
    annulled = demo_results[demo_code("000.00.15.H40", 1)]  # official1 (annul role) is of this agency
    processing = demo_results[demo_code("000.00.15.H40", 2)]
    for result in (issued, annulled):
        result.move_to(ResultStatus.SIGNING)
        result.signed_sha256 = result.original_sha256  # stands in for the signed PDF
        result.signed_at = utcnow()
        result.move_to(ResultStatus.SIGNED)
    db.session.commit()
    annulment.annul(db.session, official_principal("official1"), annulled.id, "Cấp nhầm thông tin", services(app).events)
    return {"issued": issued.id, "annulled": annulled.id, "processing": processing.id}

