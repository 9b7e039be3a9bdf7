"""Compile each language's catalogues (one .po per area of the site, so people working on different
pages never edit the same file) into the single messages.mo Flask-Babel reads."""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po


def compile_language(folder: Path) -> int:
    merged = Catalog(locale=folder.parent.name)
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as source:
            for message in read_po(source):
                if not message.id:
                    continue
                if message.id in merged and merged[message.id].string != message.string:
                    raise SystemExit(f"{po}: '{message.id}' is translated differently in another catalogue")
                merged.add(message.id, message.string)
    with (folder / "messages.mo").open("wb") as out:
        write_mo(out, merged)
    return len(merged)


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "wallet_service/translations")
    for folder in sorted(root.glob("*/LC_MESSAGES")):
        print(f"{folder}: {compile_language(folder)} messages")
