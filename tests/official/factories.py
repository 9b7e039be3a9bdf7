"""Results for the officials' pages tests, submitted through the same intake path as the API and
the demo data (`wallet_service.results.intake.submit_result`), with documents rendered like real ones."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from wallet_service.dev.demo import result_pdf
from wallet_service.models import Agency, Result, db
from wallet_service.results.intake import submit_result
from wallet_service.services import services

WARD = "000.00.15.H40"
DEPT = "000.00.04.H40"
BIRTH = ("1.001193.000.00.00.H40", "Thủ tục đăng ký khai sinh", "Trích lục khai sinh")
RESIDENCE = ("1.004222.000.00.00.H40", "Xác nhận thông tin về cư trú", "Giấy xác nhận thông tin về cư trú")
CITIZENS = {"022186001234": "Lê Thị Hoa", "022090004567": "Phạm Văn Minh", "022301007890": "Vũ Thị Lan"}


def add_result(app, sequence: int, *, agency_code: str = WARD, procedure=RESIDENCE,
               citizen_id: str = "022301007890", received_at: dt.datetime | None = None,
               day: str = "251121") -> Result:
    """A pending result numbered `sequence` (dossier <agency>-<day>-<sequence>), received at `received_at`."""
    code, name, title = procedure
    agency = db.session.scalar(select(Agency).where(Agency.code == agency_code))
    dossier = f"{agency_code}-{day}-{sequence:04d}"
    citizen_name = CITIZENS[citizen_id]
    document = result_pdf(agency.name, title, citizen_name, dossier, (f"Nội dung kết quả số {sequence}",))
    metadata = {
        "dossier_code": dossier,
        "procedure_code": code,
        "procedure_name": name,
        "citizen_id": citizen_id,
        "citizen_name": citizen_name,
        "title": title,
        "agency_code": agency_code,
    }
    settings = services(app).settings
    result, created = submit_result(db.session, services(app).documents, metadata, document,
                                    actor="client:1:case-system", max_bytes=settings.max_document_bytes)
    assert created
    if received_at is not None:
        result.created_at = received_at
        db.session.commit()
    return result
