"""Vietnamese first: every text the pages and the API show through gettext has a Vietnamese
translation in one of the catalogues (a missing one would show English to a Vietnamese reader)."""
from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

PACKAGE = Path(__file__).resolve().parents[2] / "wallet_service"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _first(message_id):
    return message_id if isinstance(message_id, str) else message_id[0]


def test_every_message_has_a_vietnamese_translation():
    translated = set()
    for po in (PACKAGE / "translations" / "vi" / "LC_MESSAGES").glob("*.po"):
        with po.open("rb") as source:
            translated |= {_first(m.id) for m in read_po(source) if m.id and m.string}
    missing = sorted(
        f"{path}:{line}: {_first(message)}"
        for path, line, message, _comments, _context in extract_from_dir(PACKAGE, METHODS, OPTIONS)
        if _first(message) not in translated
    )
    assert not missing, "\n".join(missing)
