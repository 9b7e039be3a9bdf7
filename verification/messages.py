"""Message catalogue of the verifier: every text a person reads, in Vietnamese and English.

Reports and errors carry message *codes* with parameters; ``render`` turns them into text
in the requested language when the report is serialised. Vietnamese is the default
language of the service; unknown languages fall back to English.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from verification.messages_certificates import CERTIFICATE_MESSAGES

LANGUAGES = ("vi", "en")

_CATALOGUE = {
    # --- indications (ETSI EN 319 102-1) ---------------------------------------------
    "indication.TOTAL-PASSED": ("Valid", "Hợp lệ"),
    "indication.INDETERMINATE": ("Cannot be confirmed", "Chưa xác định được tính hợp lệ"),
    "indication.TOTAL-FAILED": ("Invalid", "Không hợp lệ"),
    # --- sub-indications ---------------------------------------------------------------
    "sub.FORMAT_FAILURE": (
        "the signature or the document structure does not conform to the format "
        "(byte range, signature dictionary, data appended after the end of the file, or "
        "changes after signing that are not allowed)",
        "chữ ký hoặc cấu trúc tài liệu không đúng định dạng (vùng dữ liệu được ký, "
        "từ điển chữ ký, dữ liệu nối thêm sau phần kết thúc tệp, hoặc thay đổi sau khi ký "
        "không được phép)",
    ),
    "sub.HASH_FAILURE": (
        "the document content does not match what was signed",
        "nội dung tài liệu không khớp với nội dung đã được ký",
    ),
    "sub.SIG_CRYPTO_FAILURE": (
        "the signature value cannot be verified with the signer's public key",
        "không kiểm tra được giá trị chữ ký bằng khóa công khai của người ký",
    ),
    "sub.REVOKED": (
        "the signer's certificate was revoked before the signing time",
        "chứng thư số của người ký đã bị thu hồi trước thời điểm ký",
    ),
    "sub.NOT_YET_VALID": (
        "the signer's certificate was not yet valid at the signing time",
        "chứng thư số của người ký chưa có hiệu lực tại thời điểm ký",
    ),
    "sub.EXPIRED": (
        "the signature was made after the signer's certificate expired",
        "chữ ký được tạo sau khi chứng thư số của người ký đã hết hạn",
    ),
    "sub.NO_CERTIFICATE_CHAIN_FOUND": (
        "the signer's certificate does not chain up to a trusted root certificate",
        "chứng thư số của người ký không thuộc chuỗi của chứng thư gốc tin cậy nào",
    ),
    "sub.NO_SIGNING_CERTIFICATE_FOUND": (
        "the signer's certificate is not present in the signature",
        "chữ ký không chứa chứng thư số của người ký",
    ),
    "sub.CERTIFICATE_CHAIN_GENERAL_FAILURE": (
        "the certificate chain could not be validated",
        "không xác thực được chuỗi chứng thư số",
    ),
    "sub.CHAIN_CONSTRAINTS_FAILURE": (
        "the certificate chain does not meet the validation constraints",
        "chuỗi chứng thư số không đáp ứng các ràng buộc kiểm tra",
    ),
    "sub.SIG_CONSTRAINTS_FAILURE": (
        "the signature does not meet the validation constraints "
        "(for example, the content was changed after signing)",
        "chữ ký không đáp ứng các ràng buộc kiểm tra "
        "(ví dụ: nội dung bị thay đổi sau khi ký)",
    ),
    "sub.CRYPTO_CONSTRAINTS_FAILURE": (
        "an algorithm or key size is too weak",
        "thuật toán hoặc độ dài khóa không đủ an toàn",
    ),
    "sub.CRYPTO_CONSTRAINTS_FAILURE_NO_POE": (
        "an algorithm became too weak and there is no proof the signature existed before",
        "thuật toán đã không còn an toàn và không có bằng chứng chữ ký tồn tại trước đó",
    ),
    "sub.OUT_OF_BOUNDS_NO_POE": (
        "the certificate is outside its validity period and there is no proof of existence "
        "of the signature before",
        "chứng thư số ngoài thời hạn hiệu lực và không có bằng chứng chữ ký tồn tại trước đó",
    ),
    "sub.OUT_OF_BOUNDS_NOT_REVOKED": (
        "the certificate is outside its validity period",
        "chứng thư số ngoài thời hạn hiệu lực",
    ),
    "sub.REVOKED_NO_POE": (
        "the signer's certificate is revoked and there is no proof the signature was made before",
        "chứng thư số của người ký đã bị thu hồi và không có bằng chứng chữ ký được tạo trước đó",
    ),
    "sub.REVOKED_CA_NO_POE": (
        "a certificate authority in the chain is revoked",
        "một tổ chức cung cấp dịch vụ chứng thực trong chuỗi đã bị thu hồi",
    ),
    "sub.REVOCATION_OUT_OF_BOUNDS_NO_POE": (
        "the revocation data is outside its validity period",
        "dữ liệu thu hồi nằm ngoài thời hạn hiệu lực",
    ),
    "sub.TRY_LATER": (
        "no revocation information (OCSP or CRL) is available for a certificate",
        "không có thông tin thu hồi (OCSP hoặc CRL) cho một chứng thư số",
    ),
    "sub.NO_POE": ("there is no proof of existence", "không có bằng chứng tồn tại"),
    "sub.TIMESTAMP_ORDER_FAILURE": (
        "the timestamps are not in a consistent order",
        "các dấu thời gian không theo đúng thứ tự",
    ),
    "sub.SIGNED_DATA_NOT_FOUND": ("the signed data is missing", "không tìm thấy dữ liệu được ký"),
    "sub.POLICY_PROCESSING_ERROR": (
        "the validation policy could not be processed",
        "không xử lý được chính sách kiểm tra",
    ),
    "sub.SIGNATURE_POLICY_NOT_AVAILABLE": (
        "the signature policy is not available",
        "không có chính sách chữ ký",
    ),
    "sub.GENERIC": ("an unspecified problem", "một lỗi không xác định"),
    "sub.ANNULLED": (
        "the issuing agency has annulled this result",
        "cơ quan cấp đã thu hồi kết quả này",
    ),
    # --- summary -------------------------------------------------------------------------
    "summary.passed": (
        "The document is valid: {signatures} signature(s) and {timestamps} document "
        "timestamp(s) verified, nothing changed after signing.",
        "Tài liệu hợp lệ: đã kiểm tra {signatures} chữ ký và {timestamps} dấu thời gian "
        "tài liệu, không có thay đổi sau khi ký.",
    ),
    "summary.passed_with_form_filling": (
        "The document is valid: {signatures} signature(s) and {timestamps} document "
        "timestamp(s) verified; after signing, form fields were filled as the signers "
        "permitted: {fields}.",
        "Tài liệu hợp lệ: đã kiểm tra {signatures} chữ ký và {timestamps} dấu thời gian "
        "tài liệu; sau khi ký, các trường biểu mẫu được điền trong phạm vi người ký cho phép: {fields}.",
    ),
    "summary.not_passed": (
        "{indication}: {reason}.",
        "{indication}: {reason}.",
    ),
    # --- findings about one signature -------------------------------------------------------
    "finding.intact": (
        "The signed content is unchanged and the signature value verifies.",
        "Nội dung được ký không bị thay đổi và giá trị chữ ký đúng.",
    ),
    "finding.digest_mismatch": (
        "The document bytes covered by the signature do not match its message digest.",
        "Dữ liệu tài liệu trong vùng được ký không khớp với giá trị băm của chữ ký.",
    ),
    "finding.signature_value_invalid": (
        "The signature value does not verify with the signer's public key.",
        "Giá trị chữ ký không khớp với khóa công khai của người ký.",
    ),
    "finding.signed_attributes_not_der": (
        "The signed attributes are not DER-encoded, so the signature does not verify over "
        "their DER encoding (RFC 5652).",
        "Các thuộc tính được ký không được mã hóa DER nên chữ ký không kiểm tra được trên "
        "bản mã hóa DER (RFC 5652).",
    ),
    "finding.unsupported_algorithm": (
        "The signature uses an unsupported or malformed algorithm ({detail}).",
        "Chữ ký dùng thuật toán không được hỗ trợ hoặc sai định dạng ({detail}).",
    ),
    "finding.byte_range_invalid": (
        "The /ByteRange does not cover the document around this signature's own /Contents.",
        "/ByteRange không bao phủ tài liệu quanh chính vùng /Contents của chữ ký này.",
    ),
    "finding.signature_dictionary_altered": (
        "The signature dictionary was replaced or altered after signing.",
        "Từ điển chữ ký đã bị thay thế hoặc sửa đổi sau khi ký.",
    ),
    "finding.pages_added": (
        "Page(s) added after signing: {pages}.",
        "Trang được thêm sau khi ký: {pages}.",
    ),
    "finding.pages_removed": (
        "{count} page(s) removed after signing.",
        "{count} trang bị xóa sau khi ký.",
    ),
    "finding.content_changed": (
        "Content changed after signing on page(s): {pages}.",
        "Nội dung bị thay đổi sau khi ký trên trang: {pages}.",
    ),
    "finding.annotations_changed": (
        "Annotations (comments, drawings, stamps) added or changed after signing on page(s): {pages}.",
        "Chú thích (ghi chú, hình vẽ, con dấu) được thêm hoặc sửa sau khi ký trên trang: {pages}.",
    ),
    "finding.other_changes": (
        "The document was changed after signing in ways that are not permitted.",
        "Tài liệu bị thay đổi sau khi ký theo cách không được phép.",
    ),
    "finding.form_filled": (
        "Form fields filled after signing: {fields}.",
        "Trường biểu mẫu được điền sau khi ký: {fields}.",
    ),
    "finding.later_signatures": (
        "Signed again afterwards (permitted): {fields}.",
        "Được ký tiếp sau đó (được phép): {fields}.",
    ),
    "finding.written_by_issuer": (
        "The file is byte for byte a document this service issued: what follows this signature "
        "was added by the service itself when it issued it.",
        "Tệp trùng từng byte với tài liệu do hệ thống cấp: phần sau chữ ký này do chính hệ thống "
        "bổ sung khi cấp tài liệu.",
    ),
    "finding.ltv_updates": (
        "Validation data or document timestamps were added after signing (permitted).",
        "Dữ liệu kiểm tra hoặc dấu thời gian tài liệu được bổ sung sau khi ký (được phép).",
    ),
    "finding.changes_unanalysable": (
        "Changes after signing could not be analysed: the revisions of the file cannot be compared.",
        "Không phân tích được các thay đổi sau khi ký: không so sánh được các phiên bản của tệp.",
    ),
    "finding.signature_unverifiable": (
        "The signature could not be checked: its certificates or algorithm identifiers are "
        "malformed or not supported.",
        "Không kiểm tra được chữ ký: chứng thư số hoặc định danh thuật toán của chữ ký sai định "
        "dạng hoặc không được hỗ trợ.",
    ),
    "finding.docmdp_violated": (
        "The document was certified with a permission level that forbids these changes.",
        "Tài liệu đã được chứng nhận với mức quyền không cho phép những thay đổi này.",
    ),
    "finding.trusted": (
        "The signer's certificate chains up to the trusted root “{root}”.",
        "Chứng thư số của người ký thuộc chuỗi của chứng thư gốc tin cậy “{root}”.",
    ),
    "finding.untrusted": (
        "The signer's certificate does not chain up to a configured trusted root.",
        "Chứng thư số của người ký không thuộc chuỗi của chứng thư gốc tin cậy đã cấu hình.",
    ),
    "finding.revoked": (
        "The certificate was revoked on {date}.",
        "Chứng thư số đã bị thu hồi vào {date}.",
    ),
    "finding.last_timestamp_expired": (
        "The certificate of the last document timestamp expired on {date}: the document needs a new "
        "archive timestamp to stay verifiable.",
        "Chứng thư số của dấu thời gian tài liệu cuối cùng đã hết hạn ngày {date}: tài liệu cần được "
        "đóng dấu thời gian lưu trữ mới để tiếp tục kiểm tra được.",
    ),
    "finding.timestamp": (
        "Timestamp {time} from “{authority}”.",
        "Dấu thời gian {time} do “{authority}” cấp.",
    ),
    "finding.timestamp_invalid": (
        "The signature timestamp does not verify.",
        "Dấu thời gian của chữ ký không hợp lệ.",
    ),
    "finding.no_signing_certificate": (
        "The signer's certificate is missing from the signature.",
        "Chữ ký không chứa chứng thư số của người ký.",
    ),
    "finding.timestamp_as_signature": (
        "A timestamp token is stored in a signature field (/Sig with /ETSI.RFC3161); it is "
        "treated as a document timestamp.",
        "Một dấu thời gian được lưu trong trường chữ ký (/Sig với /ETSI.RFC3161); được xử lý "
        "như dấu thời gian tài liệu.",
    ),
    "finding.damaged_structure": (
        "The PDF structure is damaged ({reason}); this signature was checked on the raw bytes "
        "only, changes after signing could not be analysed.",
        "Cấu trúc PDF bị hỏng ({reason}); chữ ký này chỉ được kiểm tra trên dữ liệu thô, "
        "không phân tích được các thay đổi sau khi ký.",
    ),
    "finding.signature_unreadable": (
        "Signature field “{field}” holds a signature that cannot be read; the document "
        "cannot be accepted with it.",
        "Trường chữ ký “{field}” chứa chữ ký không đọc được; tài liệu không thể được chấp nhận "
        "với chữ ký này.",
    ),
    "finding.duplicate_keys": (
        "The signature dictionary (object {object}, field “{field}”) declares {keys} more than "
        "once: different readers may see different signatures.",
        "Từ điển chữ ký (đối tượng {object}, trường “{field}”) khai báo {keys} nhiều hơn một lần: "
        "các phần mềm đọc khác nhau có thể thấy các chữ ký khác nhau.",
    ),
    "finding.bytes_after_end": (
        "{count} bytes were appended after the end of the last revision without a "
        "cross-reference section; some viewers display such data as part of the document.",
        "Có {count} byte được nối thêm sau phần kết thúc của phiên bản cuối cùng mà không có bảng "
        "tham chiếu chéo; một số phần mềm xem sẽ hiển thị dữ liệu này như một phần của tài liệu.",
    ),
    "finding.objects_after_end": (
        "Objects appended after the end of the last revision, listed in no cross-reference "
        "section, re-declare objects of the document ({objects}): viewers that rebuild the "
        "file show them instead of what was signed.",
        "Các đối tượng được nối thêm sau phần kết thúc của phiên bản cuối cùng, không có trong bảng "
        "tham chiếu chéo nào, khai báo lại đối tượng của tài liệu ({objects}): phần mềm xem dựng "
        "lại tệp sẽ hiển thị chúng thay cho nội dung đã ký.",
    ),
    "finding.form_field_replaced": (
        "Form field “{field}” was changed after signing: “{old}” → “{new}”.",
        "Trường biểu mẫu “{field}” bị thay đổi sau khi ký: “{old}” → “{new}”.",
    ),
    "finding.form_field_redrawn": (
        "Form field “{field}” still holds “{old}”, but its appearance was redrawn after "
        "signing: what a viewer shows may differ from what was signed.",
        "Trường biểu mẫu “{field}” vẫn giữ giá trị “{old}”, nhưng hình thức hiển thị bị vẽ lại sau "
        "khi ký: nội dung phần mềm xem hiển thị có thể khác với nội dung đã ký.",
    ),
    "finding.form_field_value": (
        "Form field “{field}” was filled after signing with “{new}”.",
        "Trường biểu mẫu “{field}” được điền sau khi ký với giá trị “{new}”.",
    ),
    "finding.metadata_changed": (
        "Document metadata was changed after signing: {items}.",
        "Thông tin mô tả (metadata) của tài liệu bị thay đổi sau khi ký: {items}.",
    ),
    "finding.issued_document_changed": (
        "This document was issued by this service: after its signatures only further "
        "signatures, timestamps and validation data may be added, but it was changed.",
        "Tài liệu này do hệ thống cấp: sau các chữ ký chỉ được bổ sung chữ ký, dấu thời gian "
        "và dữ liệu kiểm tra, nhưng tài liệu đã bị thay đổi.",
    ),
    # --- errors (VerificationError subclasses) -------------------------------------------
    "error.verification_error": ("The document cannot be verified.", "Không kiểm tra được tài liệu."),
    "error.document_too_large": (
        "The document is {size} bytes; the limit is {limit} bytes.",
        "Tài liệu có dung lượng {size} byte, vượt quá giới hạn {limit} byte.",
    ),
    "error.empty_document": ("The document is empty.", "Tài liệu rỗng."),
    "error.not_a_pdf": (
        "The file is not a PDF document (no %PDF- header).",
        "Tệp không phải là tài liệu PDF (không có phần đầu %PDF-).",
    ),
    "error.unreadable_pdf": (
        "The PDF cannot be read: {reason}.",
        "Không đọc được tài liệu PDF: {reason}.",
    ),
    "error.encrypted_document": (
        "The PDF is encrypted with a password; send the unencrypted document.",
        "Tài liệu PDF được mã hóa bằng mật khẩu; hãy gửi bản không mã hóa.",
    ),
    "error.no_signature": (
        "The PDF contains no digital signature or document timestamp{fields_note}.",
        "Tài liệu PDF không chứa chữ ký số hay dấu thời gian tài liệu nào{fields_note}.",
    ),
    "error.verification_timeout": (
        "Verification took longer than {seconds} seconds and was stopped; the document may be "
        "malformed.",
        "Quá trình kiểm tra vượt quá {seconds} giây và đã bị dừng; tài liệu có thể bị lỗi cấu trúc.",
    ),
    "error.verifier_unavailable": (
        "The verification service is not available right now; try again.",
        "Dịch vụ kiểm tra hiện không sẵn sàng; vui lòng thử lại.",
    ),
}

CATALOGUE = MappingProxyType(
    {
        code: MappingProxyType({"en": en, "vi": vi})
        for code, (en, vi) in {**_CATALOGUE, **CERTIFICATE_MESSAGES}.items()
    }
)
"""Read-only: message code → {language → template}."""


def normalise_language(lang: str | None) -> str:
    """``vi``/``en`` from a language tag such as ``vi-VN``; anything else gives ``en``."""
    primary = (lang or "en").split(",")[0].split(";")[0].strip().lower()[:2]
    return primary if primary in LANGUAGES else "en"


def render(code: str, lang: str | None, **params: Any) -> str:
    """Text of message ``code`` in ``lang`` with ``params`` filled in."""
    templates = CATALOGUE[code]
    template = templates[normalise_language(lang)]
    if params.get("reason") in CATALOGUE:  # a reason is a code: rendered in the same language
        params = dict(params, reason=render(params["reason"], lang))
    try:
        return template.format(**params)
    except (KeyError, IndexError):  # a missing parameter must not turn a report into a 500
        return template
