"""What people read about an offline code, by verdict code, in the page's and the CLI's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

VERDICTS = {
    "valid": _l("Valid: signed by the agency below, and not annulled as of the trust list."),
    "annulled": _l("Annulled: the agency has annulled this result. Do not accept it."),
    "wrong_prefix": _l("This QR code is not a result's offline code (it does not start with VN1:)."),
    "not_base45": _l("The code is damaged or mistyped: it is not valid Base45."),
    "too_long": _l("The text is longer than any QR code holds."),
    "truncated": _l("The code is damaged or cut short."),
    "too_large": _l("The code would expand to an unreasonable size: refused."),
    "not_cose": _l("The code does not hold a signed message."),
    "bad_algorithm": _l("The code is signed with an algorithm that is not accepted."),
    "unknown_key": _l("The code was signed with a key that is not in the trust list: not issued by a listed agency."),
    "bad_signature": _l("The signature does not match the code's content: the code was altered."),
    "bad_claims": _l("The code's content is not that of a result."),
    "agency_mismatch": _l("The code names another agency than the one whose key signed it."),
    "bad_trust_list": _l("The trust list is not one this service signed."),
}

CLAIMS = {
    "result_id": _l("Result id"), "agency_code": _l("Agency code"), "dossier_code": _l("Dossier code"),
    "issued_on": _l("Issue date"), "signed_at": _l("Signed at"), "pdf_sha256": _l("SHA-256 of the PDF as issued"),
    "holder_name": _l("Holder"), "id_last4": _l("Personal ID (last 4 digits)"),
    "procedure_code": _l("Procedure code"), "title": _l("Title"), "procedure_name": _l("Procedure"),
}

PAGE = {
    "trust_list_as_of": _l("Trust list as of %(date)s"),
    "trust_list_stale": _l("The trust list is more than 7 days old: results annulled since then are not known. Refresh it when you have network."),
    "trust_list_missing": _l("No trust list yet: open this page once with network."),
    "no_qr": _l("No offline code was found in the picture. Take a sharper photo of the larger QR code."),
    "camera_unavailable": _l("The camera cannot be used here; upload a photo instead."),
    "agency": _l("Agency"),
    "checking": _l("Checking…"),
    "refreshed": _l("Trust list refreshed."),
    "offline": _l("No network: the saved trust list is used."),
}


def verdict_text(code: str) -> str:
    return str(VERDICTS.get(code, code))


def page_texts() -> dict:
    """Every text the page's script shows, translated (the page carries them, so they work offline)."""
    return {"verdicts": {k: str(v) for k, v in VERDICTS.items()}, "claims": {k: str(v) for k, v in CLAIMS.items()},
            **{k: str(v) for k, v in PAGE.items()}}
