"""The fields read out of each document type's text, as Tesseract gives it: labels with or without
diacritics and colons, digits with OCR slips, dates in figures or in words."""
from __future__ import annotations

import pytest

from wallet_service.copies.catalogue import DOCUMENT_TYPES
from wallet_service.copies.extraction import extract_fields

TEXTS = {
    "diploma": """BỘ GIÁO DỤC VÀ ĐÀO TẠO
BẰNG TỐT NGHIỆP TRUNG HỌC PHỔ THÔNG
Cấp cho: Trần Văn Bình
Ngày sinh: 02/09/2006
Số định danh cá nhân: 022 206 001 234
Số hiệu: THPT-2024-001122
Ngày cấp: ngày 15 tháng 07 năm 2024
Cơ quan cấp: Sở Giáo dục và Đào tạo tỉnh Quảng Ninh
""",
    "land_use_right_certificate": """GIẤY CHỨNG NHẬN QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT
Ông: PHẠM VĂN MINH     Năm sinh: 1990
CCCD số: O22O9OOO4567
Số vào sổ cấp GCN: CS 01234
Ngày cấp: 05/11/2019
Cơ quan cấp: Sở Tài nguyên và Môi trường tỉnh Quảng Ninh
""",
    "household_business_licence": """GIẤY CHỨNG NHẬN ĐĂNG KÝ HỘ KINH DOANH
Mã số hộ kinh doanh: 22A8001234
Dang ky lan dau, ngay 12/05/2024
Họ và tên chủ hộ kinh doanh: Lê Thị Hoa
Ngày sinh: 12/04/1986
Số định danh cá nhân: 022186001234
Cơ quan đăng ký: Phòng Tài chính - Kế hoạch thành phố Hạ Long
""",
}
EXPECTED = {
    "diploma": {"holder_name": "TRẦN VĂN BÌNH", "personal_id": "022206001234", "birth_date": "2006-09-02",
                "document_number": "THPT-2024-001122", "issue_date": "2024-07-15",
                "issuer": "Sở Giáo dục và Đào tạo tỉnh Quảng Ninh"},
    "land_use_right_certificate": {"holder_name": "PHẠM VĂN MINH", "personal_id": "022090004567",
                                   "birth_date": None, "document_number": "CS 01234", "issue_date": "2019-11-05",
                                   "issuer": "Sở Tài nguyên và Môi trường tỉnh Quảng Ninh"},
    "household_business_licence": {"holder_name": "LÊ THỊ HOA", "personal_id": "022186001234",
                                   "birth_date": "1986-04-12", "document_number": "22A8001234",
                                   "issue_date": "2024-05-12",
                                   "issuer": "Phòng Tài chính - Kế hoạch thành phố Hạ Long"},
}


@pytest.mark.parametrize("document_type", sorted(TEXTS))
def test_fields_of_each_document_type(document_type):
    assert extract_fields(DOCUMENT_TYPES[document_type], TEXTS[document_type]) == EXPECTED[document_type]


def test_nothing_read_is_none_not_a_guess():
    fields = extract_fields(DOCUMENT_TYPES["birth_certificate"], "Trang 2\nGhi chú: không có")
    assert set(fields.values()) == {None}
