"""Where the signed PDFs of other tools are: `shared/corpora/` beside the checkout (as CI lays it
out), else the workplace's copy."""
from __future__ import annotations

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
SHARED = next((p for p in (_CHECKOUT.parent / "shared", Path("/work/shared")) if (p / "corpora").is_dir()),
              _CHECKOUT.parent / "shared")
DSS_PADES = SHARED / "corpora" / "dss-pades"
