"""What a person reads on a page served by the service, for tests that check wording."""
from __future__ import annotations

import html as entities
import re


def main_text(html: str) -> str:
    """The page's main part as read at first sight: tags stripped, folded technical details left out."""
    main = html.split('<main id="main">', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<details.*?</details>", "", main, flags=re.S)
    return " ".join(entities.unescape(re.sub(r"<[^>]+>", " ", main)).split())
