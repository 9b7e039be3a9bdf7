"""Many results for the wallet's search and pages, made fast: rows beside one stored original."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from wallet_service.models import Agency, Citizen, Result, db
from wallet_service.results.formats import fold

from ..official.factories import BIRTH, DEPT, RESIDENCE, WARD

CITIZEN1, CITIZEN2 = "022186001234", "022090004567"


def _copy(base: Result, n: int, *, agency: Agency, procedure, citizen: Citizen, received: dt.datetime) -> Result:
    """Another pending result like `base` (same stored original): a listing never opens the PDF, and
    rendering one per result made this module's set-up take seconds."""
    code, name, title = procedure
    result = Result(dossier_code=f"{agency.code}-{received:%y%m%d}-{n:04d}", procedure_code=code, procedure_name=name,
                    title=title, citizen_id=citizen.id, citizen_name=citizen.full_name, agency_id=agency.id,
                    original_sha256=base.original_sha256, original_size=base.original_size, created_at=received,
                    search_text=fold(f"{title} {citizen.full_name} {name}"))  # as intake fills it
    db.session.add(result)
    return result



def add_many_results(demo_results, count: int) -> dict[str, list[str]]:
    """`count` more pending results for citizen1, the first 12 received in 2024 and the rest in 2025,
    every 4th from the department, every 5th a birth extract; and three for citizen2 with the same
    birth-extract title. citizen1's by label ("2024", "2025", "dept", "birth") -> ids."""
    base = next(iter(demo_results.values()))
    agencies = {a.code: a for a in db.session.scalars(select(Agency))}
    citizens = {c.personal_id: c for c in db.session.scalars(select(Citizen))}
    ids: dict[str, list[str]] = {"2024": [], "2025": [], "dept": [], "birth": []}
    for n in range(1, count + 1):
        year = 2024 if n <= 12 else 2025
        agency = DEPT if n % 4 == 0 else WARD
        procedure = BIRTH if n % 5 == 0 else RESIDENCE
        received = dt.datetime(year, 3, 1, tzinfo=dt.UTC) + dt.timedelta(days=n)
        result = _copy(base, n, agency=agencies[agency], procedure=procedure, citizen=citizens[CITIZEN1],
                       received=received)
        db.session.flush()
        ids[str(year)].append(result.id)
        if agency == DEPT:
            ids["dept"].append(result.id)
        if procedure == BIRTH:
            ids["birth"].append(result.id)
    for n in range(count + 1, count + 4):
        _copy(base, n, agency=agencies[WARD], procedure=BIRTH, citizen=citizens[CITIZEN2],
              received=dt.datetime(2024, 5, n - count, tzinfo=dt.UTC))
    db.session.commit()
    return ids
