"""The document types a station may digitise and, for each, the labels its fields follow on the paper.
Labels are matched without diacritics and case-insensitively (`extraction.fold`), so an OCR slip on a
tone mark does not lose the field."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

FIELDS = ("holder_name", "personal_id", "birth_date", "document_number", "issue_date", "issuer")
"""What a later procedure needs of a digitised document, in the order the official checks them."""
DATE_FIELDS = frozenset({"birth_date", "issue_date"})

FIELD_LABELS = {
    "holder_name": _l("Holder's full name"),
    "personal_id": _l("Personal ID number"),
    "birth_date": _l("Date of birth"),
    "document_number": _l("Document number"),
    "issue_date": _l("Date of issue"),
    "issuer": _l("Issued by"),
}


@dataclass(frozen=True)
class DocumentType:
    code: str
    name: object
    """Translated name (lazy), for pages."""
    name_vi: str
    """The Vietnamese name, for the certification statement (legal text, never translated)."""
    labels: dict[str, tuple[str, ...]]
    """Field -> regular expressions of its label, over folded text (no diacritics, lower case)."""

    def vct_path(self) -> str:
        """The path after the issuer URL of the `vct` of this type's credential."""
        return f"/vct/certified-copy/{self.code.replace('_', '-')}/v1"


_NAME = (r"ho,? (chu dem,? )?(va )?ten( khai sinh)?", r"ho va ten")
_ID = (r"so dinh danh ca nhan", r"so cccd", r"can cuoc( cong dan)?( so)?", r"cccd so")
_NUMBER = (r"^so(?! dinh danh)(?! vao so)", r"so hieu", r"so:")

DOCUMENT_TYPES: dict[str, DocumentType] = {
    t.code: t
    for t in (
        DocumentType("birth_certificate", _l("Birth certificate"), "Giấy khai sinh", {
            "holder_name": _NAME,
            "personal_id": _ID,
            "birth_date": (r"ngay,? thang,? nam sinh", r"ngay sinh"),
            "document_number": _NUMBER,
            "issue_date": (r"ngay dang ky", r"ngay cap"),
            "issuer": (r"noi dang ky", r"co quan dang ky"),
        }),
        DocumentType("diploma", _l("Diploma"), "Bằng tốt nghiệp", {
            "holder_name": (*_NAME, r"cap cho", r"cho ong/ba", r"ong/ba"),
            "personal_id": _ID,
            "birth_date": (r"ngay sinh",),
            "document_number": (r"so hieu( van bang)?", *_NUMBER),
            "issue_date": (r"ngay cap", r"cap ngay"),
            "issuer": (r"co quan cap", r"truong", r"noi cap"),
        }),
        DocumentType("land_use_right_certificate", _l("Land-use right certificate"), "Giấy chứng nhận quyền sử dụng đất", {
            "holder_name": (r"ong", r"ba", r"nguoi su dung dat", *_NAME),
            "personal_id": _ID,
            "birth_date": (r"(ngay|nam) sinh",),
            "document_number": (r"so vao so cap (giay chung nhan|gcn)", r"so phat hanh", *_NUMBER),
            "issue_date": (r"ngay cap", r"cap ngay"),
            "issuer": (r"co quan cap", r"noi cap"),
        }),
        DocumentType("household_business_licence", _l("Household business registration certificate"), "Giấy chứng nhận đăng ký hộ kinh doanh", {
            "holder_name": (r"ho va ten chu ho kinh doanh", r"chu ho kinh doanh", *_NAME),
            "personal_id": _ID,
            "birth_date": (r"ngay sinh",),
            "document_number": (r"ma so ho kinh doanh", r"so giay chung nhan", *_NUMBER),
            "issue_date": (r"dang ky lan dau,? ngay", r"ngay cap"),
            "issuer": (r"co quan dang ky", r"noi cap", r"co quan cap"),
        }),
    )
}
