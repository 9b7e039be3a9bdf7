"""Message catalogue entries about certificates and their revocation status, and the
reasons an unreadable file is refused with (English, Vietnamese); merged into
:data:`verification.messages.CATALOGUE`."""

from __future__ import annotations

CERTIFICATE_MESSAGES: dict[str, tuple[str, str]] = {
    "finding.revocation_good_embedded_ocsp": (
        "Not revoked at the signing time (checked with an OCSP response embedded in the document).",
        "Chưa bị thu hồi tại thời điểm ký (kiểm tra bằng phản hồi OCSP đính kèm trong tài liệu).",
    ),
    "finding.revocation_good_embedded_crl": (
        "Not revoked at the signing time (checked with a CRL embedded in the document).",
        "Chưa bị thu hồi tại thời điểm ký (kiểm tra bằng danh sách thu hồi CRL đính kèm trong tài liệu).",
    ),
    "finding.revocation_good_fetched": (
        "Not revoked at the signing time (checked with OCSP/CRL data fetched online).",
        "Chưa bị thu hồi tại thời điểm ký (kiểm tra bằng dữ liệu OCSP/CRL tải trực tuyến).",
    ),
    "finding.revocation_not_checked": (
        "Revocation not checked / unknown: the signer's certificate names no CRL or OCSP "
        "service and the document carries no revocation data for it.",
        "Chưa kiểm tra / không rõ tình trạng thu hồi: chứng thư số của người ký không chỉ ra "
        "dịch vụ CRL hay OCSP nào và tài liệu không kèm dữ liệu thu hồi cho chứng thư này.",
    ),
    "finding.timestamp_revocation_not_checked": (
        "Revocation of the timestamping authority's certificate not checked / unknown: the "
        "document carries no revocation data for it.",
        "Chưa kiểm tra / không rõ tình trạng thu hồi chứng thư số của đơn vị cấp dấu thời gian: "
        "tài liệu không kèm dữ liệu thu hồi cho chứng thư này.",
    ),
    "finding.revoked_before_signing": (
        "A trusted timestamp proves the signature was made after its certificate was revoked.",
        "Dấu thời gian tin cậy chứng minh chữ ký được tạo sau khi chứng thư số đã bị thu hồi.",
    ),
    "finding.judged_at_document_timestamp": (
        "The signature has no trusted timestamp of its own: its certificate and revocation status "
        "were checked at {time}, the time of the document timestamp “{field}”, the earliest trusted "
        "proof that the signature existed.",
        "Chữ ký không có dấu thời gian tin cậy của riêng mình: chứng thư số và tình trạng thu hồi "
        "được kiểm tra tại thời điểm {time} của dấu thời gian tài liệu “{field}”, bằng chứng tin cậy "
        "sớm nhất cho thấy chữ ký đã tồn tại.",
    ),
    "finding.certificate_expired": (
        "The signer's certificate expired on {date}; nothing proves the signature was made before.",
        "Chứng thư số của người ký đã hết hạn vào {date}; không có bằng chứng chữ ký được tạo trước đó.",
    ),
    "finding.signed_after_expiry": (
        "A trusted timestamp proves the signature was made after its certificate expired on {date}.",
        "Dấu thời gian tin cậy chứng minh chữ ký được tạo sau khi chứng thư số hết hạn vào {date}.",
    ),
    "finding.certificate_not_yet_valid": (
        "The signer's certificate is valid only from {date}, after the signing time.",
        "Chứng thư số của người ký chỉ có hiệu lực từ {date}, sau thời điểm ký.",
    ),
    "finding.signed_before_certificate": (
        "A trusted timestamp proves the signature was made before its certificate became valid on {date}.",
        "Dấu thời gian tin cậy chứng minh chữ ký được tạo trước khi chứng thư số có hiệu lực vào {date}.",
    ),
    # --- reasons (the ``reason`` parameter of a message names one of these) ----------------
    "reason.truncated": (
        "the file is cut short, its end (startxref, %%EOF) is missing",
        "tệp bị cắt cụt, thiếu phần kết thúc (startxref, %%EOF)",
    ),
    "reason.cross_reference": (
        "its cross-reference table is damaged",
        "bảng tham chiếu chéo (xref) bị hỏng",
    ),
    "reason.structure": (
        "its objects or its page tree do not have the structure of a PDF document",
        "các đối tượng hoặc cây trang không có cấu trúc của tài liệu PDF",
    ),
    "reason.nesting": (
        "its objects are nested too deeply",
        "các đối tượng lồng nhau quá sâu",
    ),
}
