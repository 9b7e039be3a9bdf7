"""Demo data for development: two agencies of Quảng Ninh, two officials, three citizens and about
ten pending results whose PDFs look like real ones. Loaded by `wallet-service init` (idempotent),
never in production."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Agency, Citizen, Official, Result, utcnow
from ..platform.storage import DocumentStore
from ..results.intake import submit_result

PROVINCE_CODE = "22"  # Quảng Ninh
DEMO_ACTOR = "system:demo-data"


@dataclass(frozen=True)
class DemoAgency:
    code: str
    name: str
    commune_code: str | None
    signing_block: tuple[str, ...]
    """The authority and title lines above the signature on its documents."""


@dataclass(frozen=True)
class DemoOfficial:
    username: str
    full_name: str
    agency_code: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class DemoCitizen:
    username: str
    personal_id: str
    full_name: str
    birth_date: dt.date


@dataclass(frozen=True)
class DemoResult:
    dossier_code: str
    procedure_code: str
    procedure_name: str
    title: str
    agency_code: str
    citizen: str
    body: tuple[str, ...]


AGENCIES = (
    DemoAgency("000.00.15.H40", "Trung tâm Phục vụ hành chính công phường Hạ Long", "06688", ("GIÁM ĐỐC",)),
    DemoAgency("000.00.04.H40", "Sở Xây dựng tỉnh Quảng Ninh", None, ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")),
)
OFFICIALS = (
    DemoOfficial("official1", "Nguyễn Văn An", "000.00.15.H40", ("signer", "annul", "leader", "certifier")),
    DemoOfficial("official2", "Trần Thị Bình", "000.00.04.H40", ("signer",)),
)
CITIZENS = (
    DemoCitizen("citizen1", "022186001234", "Lê Thị Hoa", dt.date(1986, 4, 12)),
    DemoCitizen("citizen2", "022090004567", "Phạm Văn Minh", dt.date(1990, 9, 2)),
    DemoCitizen("citizen3", "022301007890", "Vũ Thị Lan", dt.date(2001, 1, 20)),
)

_WARD = "000.00.15.H40"
_DEPT = "000.00.04.H40"
_VIETNAM = dt.timezone(dt.timedelta(hours=7))


def _code(agency: str, days_ago: int, sequence: int) -> str:
    """A dossier code received `days_ago` days before today (Vietnam time), within the current year."""
    today = dt.datetime.now(_VIETNAM).date()
    received = max(today - dt.timedelta(days=days_ago), today.replace(month=1, day=1))
    return f"{agency}-{received:%y%m%d}-{sequence:04d}"


def demo_code(agency: str, sequence: int) -> str:
    """The dossier code of the demo result with this agency and sequence number (its date is this year's)."""
    return next(r.dossier_code for r in RESULTS if r.dossier_code.startswith(agency + "-")
                and r.dossier_code.endswith(f"-{sequence:04d}"))


RESULTS = (
    DemoResult(_code(_WARD, 6, 1), "1.001612.000.00.00.H40", "Đăng ký thành lập hộ kinh doanh",
               "Giấy chứng nhận đăng ký hộ kinh doanh", _WARD, "citizen1",
               ("Tên hộ kinh doanh: Tạp hoá Hoa Lê", "Địa điểm kinh doanh: số 12 phố Lê Thánh Tông, phường Hạ Long",
                "Ngành, nghề kinh doanh: bán lẻ lương thực, thực phẩm, đồ uống", "Vốn kinh doanh: 150.000.000 đồng")),
    DemoResult(_code(_WARD, 6, 2), "1.001193.000.00.00.H40", "Thủ tục đăng ký khai sinh",
               "Trích lục khai sinh", _WARD, "citizen1",
               ("Họ, chữ đệm, tên: Lê Minh Khôi", "Ngày, tháng, năm sinh: 03/11/2025", "Giới tính: Nam",
                "Nơi sinh: Bệnh viện Đa khoa tỉnh Quảng Ninh", "Họ, chữ đệm, tên người mẹ: Lê Thị Hoa")),
    DemoResult(_code(_WARD, 5, 3), "1.004873.000.00.00.H40", "Cấp Giấy xác nhận tình trạng hôn nhân",
               "Giấy xác nhận tình trạng hôn nhân", _WARD, "citizen2",
               ("Họ, chữ đệm, tên: Phạm Văn Minh", "Tình trạng hôn nhân: hiện tại chưa đăng ký kết hôn với ai",
                "Mục đích sử dụng: làm thủ tục đăng ký kết hôn")),
    DemoResult(_code(_WARD, 5, 4), "1.000894.000.00.00.H40", "Thủ tục đăng ký kết hôn",
               "Trích lục kết hôn", _WARD, "citizen2",
               ("Họ, chữ đệm, tên chồng: Phạm Văn Minh", "Họ, chữ đệm, tên vợ: Đỗ Thị Thu Trang",
                "Ngày đăng ký: 18/11/2025")),
    DemoResult(_code(_WARD, 4, 5), "1.001612.000.00.00.H40", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
               "Giấy chứng nhận đăng ký hộ kinh doanh (thay đổi lần thứ nhất)", _WARD, "citizen3",
               ("Tên hộ kinh doanh: Cà phê Lan Vũ", "Nội dung thay đổi: bổ sung ngành nghề đồ uống không cồn",
                "Địa điểm kinh doanh: số 5 đường Bạch Đằng, phường Hạ Long")),
    DemoResult(_code(_WARD, 4, 6), "2.000908.000.00.00.H40", "Chứng thực bản sao từ bản chính",
               "Bản sao chứng thực Bằng tốt nghiệp đại học", _WARD, "citizen3",
               ("Giấy tờ được chứng thực: Bằng tốt nghiệp đại học, Trường Đại học Hạ Long",
                "Số chứng thực: 1204, quyển số 01/2025-SCT/BS")),
    DemoResult(_code(_DEPT, 6, 1), "1.009994.000.00.00.H40", "Cấp giấy phép xây dựng nhà ở riêng lẻ",
               "Giấy phép xây dựng nhà ở riêng lẻ", _DEPT, "citizen2",
               ("Công trình: nhà ở riêng lẻ 4 tầng", "Địa điểm: thửa đất số 215, tờ bản đồ số 12, phường Bãi Cháy",
                "Diện tích xây dựng tầng 1: 96 m²; tổng diện tích sàn: 384 m²", "Chiều cao công trình: 15,6 m")),
    DemoResult(_code(_DEPT, 5, 2), "1.009995.000.00.00.H40", "Cấp giấy phép sửa chữa, cải tạo công trình",
               "Giấy phép sửa chữa, cải tạo công trình", _DEPT, "citizen1",
               ("Công trình: nhà ở riêng lẻ 2 tầng", "Nội dung: cải tạo mặt tiền, thay mái tôn bằng mái bê tông",
                "Thời hạn khởi công: 12 tháng kể từ ngày cấp")),
    DemoResult(_code(_DEPT, 4, 3), "1.009990.000.00.00.H40", "Cấp chứng chỉ hành nghề hoạt động xây dựng",
               "Chứng chỉ hành nghề giám sát thi công xây dựng hạng II", _DEPT, "citizen3",
               ("Lĩnh vực: giám sát công tác xây dựng công trình dân dụng", "Hạng: II",
                "Có giá trị đến: 19/11/2030")),
    DemoResult(_code(_DEPT, 3, 4), "1.009994.000.00.00.H40", "Cấp giấy phép xây dựng nhà ở riêng lẻ",
               "Giấy phép xây dựng nhà ở riêng lẻ", _DEPT, "citizen1",
               ("Công trình: nhà ở riêng lẻ 3 tầng", "Địa điểm: thửa đất số 88, tờ bản đồ số 7, phường Hà Tu",
                "Diện tích xây dựng tầng 1: 72 m²")),
)


def _font_file(bold: bool = False) -> Path:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    vendored = Path(__file__).resolve().parents[2] / "signing" / "fonts" / name
    return vendored if vendored.exists() else Path("/usr/share/fonts/truetype/dejavu") / name


def result_pdf(agency_name: str, title: str, citizen_name: str, dossier_code: str, body: tuple[str, ...],
               signing_block: tuple[str, ...] = ("GIÁM ĐỐC",), signer_name: str = "", issued: dt.date | None = None) -> bytes:
    """A one-page result document in Vietnamese with the font embedded (subset), dated, with the
    recipients on the left and the signing block (authority, title, space to sign, name) on the
    right, as Decree 30/2020 lays them out."""
    issued = issued or dt.date.today()
    pdf = FPDF(format="A4")
    pdf.set_creator("wallet-service demo data")
    pdf.add_font("DejaVu", "", str(_font_file()))
    pdf.add_font("DejaVu", "B", str(_font_file(bold=True)))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(85, 6, "UBND TỈNH QUẢNG NINH\n" + agency_name.upper(), align="C")
    pdf.set_xy(95, 10)
    pdf.multi_cell(105, 6, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(40)
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 9, title.upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("DejaVu", "", 12)
    pdf.multi_cell(0, 7, f"Số hồ sơ: {dossier_code}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(0, 7, f"Cấp cho ông/bà: {citizen_name}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for line in body:
        pdf.multi_cell(0, 7, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    top = pdf.get_y()
    pdf.set_x(105)
    pdf.multi_cell(95, 7, f"Quảng Ninh, ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}", align="C",
                   new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(95, 6, "\n".join(signing_block), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.ln(44)  # the signature's place: the official's signature image, the seal over its left third
    pdf.set_x(105)
    pdf.multi_cell(95, 6, signer_name, align="C")
    pdf.set_xy(15, top)
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(60, 5, "Nơi nhận:", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(60, 4.5, f"- Ông/bà {citizen_name};\n- Lưu: VT.")
    return bytes(pdf.output())


def load(session: Session, documents: DocumentStore, official_issuer: str, max_bytes: int,
         pdfs: Mapping[str, bytes] | None = None) -> int:
    """Create whatever demo rows are missing; return how many results were added."""
    load_people(session, official_issuer)
    load_images(session, documents)
    return load_results(session, documents, max_bytes, pdfs)


def load_people(session: Session, official_issuer: str) -> None:
    """The demo agencies, officials and citizens."""
    agencies = {}
    for spec in AGENCIES:
        agency = session.scalar(select(Agency).where(Agency.code == spec.code))
        if agency is None:
            agency = Agency(code=spec.code, name=spec.name, province_code=PROVINCE_CODE, commune_code=spec.commune_code)
            session.add(agency)
        agencies[spec.code] = agency
    session.flush()
    for spec in OFFICIALS:
        if session.scalar(select(Official).where(Official.username == spec.username)) is None:
            session.add(
                Official(
                    issuer=official_issuer,
                    subject=spec.username,
                    username=spec.username,
                    full_name=spec.full_name,
                    agency=agencies[spec.agency_code],
                    roles=list(spec.roles),
                    key_reference=spec.username,
                )
            )
    for spec in CITIZENS:
        citizen = session.scalar(select(Citizen).where(Citizen.personal_id == spec.personal_id))
        if citizen is None:
            citizen = Citizen(personal_id=spec.personal_id, full_name=spec.full_name, birth_date=spec.birth_date)
            session.add(citizen)
    session.commit()


def render_results() -> dict[str, bytes]:
    """Every demo result's PDF by dossier code (about 0.1 s each: a caller that loads the demo
    many times, like the test suite, renders them once and hands them to `load_results`)."""
    agencies = {spec.code: spec for spec in AGENCIES}
    signers = {spec.agency_code: spec.full_name for spec in OFFICIALS}
    holders = {spec.username: spec.full_name for spec in CITIZENS}
    return {
        spec.dossier_code: result_pdf(agencies[spec.agency_code].name, spec.title, holders[spec.citizen], spec.dossier_code,
                                      spec.body, agencies[spec.agency_code].signing_block, signers[spec.agency_code])
        for spec in RESULTS
    }


def _without_date(code: str) -> str:
    """``AGENCY-YYMMDD-NNNN`` -> ``AGENCY-NNNN``."""
    agency, _, sequence = code.rsplit("-", 2)
    return f"{agency}-{sequence}"


def load_images(session: Session, documents: DocumentStore) -> None:
    """Made-up signature images for the demo officials and seal images for the demo agencies, drawn
    here (nothing of unclear origin in the repository), unless they have one."""
    from signing.samples import seal_png, signature_png

    for spec in OFFICIALS:
        official = session.scalar(select(Official).where(Official.username == spec.username))
        if official is not None and official.signature_image_sha256 is None:
            official.signature_image_sha256 = documents.put(signature_png(spec.full_name))
    for spec in AGENCIES:
        agency = session.scalar(select(Agency).where(Agency.code == spec.code))
        if agency is not None and agency.seal_image_sha256 is None:
            agency.seal_image_sha256 = documents.put(seal_png(spec.name))
    session.commit()


def load_results(session: Session, documents: DocumentStore, max_bytes: int, pdfs: Mapping[str, bytes] | None = None) -> int:
    """The demo pending results (needs `load_people` first); how many were added. `pdfs` are the
    documents from `render_results`, rendered here when not given."""
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    citizens = {
        spec.username: session.scalar(select(Citizen).where(Citizen.personal_id == spec.personal_id))
        for spec in CITIZENS
    }
    added = 0
    # by agency and sequence: the codes' dates move with the day `init` runs, the demo results do not
    existing = {_without_date(code) for code in session.scalars(
        select(Result.dossier_code).where(Result.agency_id.in_([a.id for a in agencies.values()])))}
    missing = [spec for spec in RESULTS if _without_date(spec.dossier_code) not in existing]
    if missing and pdfs is None:
        pdfs = render_results()
    now = utcnow()
    for n, spec in enumerate(missing):
        citizen = citizens[spec.citizen]
        data = pdfs[spec.dossier_code]
        metadata = {
            "dossier_code": spec.dossier_code,
            "procedure_code": spec.procedure_code,
            "procedure_name": spec.procedure_name,
            "citizen_id": citizen.personal_id,
            "citizen_name": citizen.full_name,
            "title": spec.title,
            "agency_code": spec.agency_code,
            "commune_code": agencies[spec.agency_code].commune_code,
            # Dossier timing as a case system sends it, so the leaders' dashboard has deadlines to show.
            "received_at": now - dt.timedelta(days=3 + n % 4),
            "due_at": now + dt.timedelta(days=n % 5 - 1),
        }
        _, created = submit_result(session, documents, metadata, data, actor=DEMO_ACTOR, max_bytes=max_bytes)
        added += created
    return added
