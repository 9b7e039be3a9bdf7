"""What the rest of the service asks of a key directory: a `KeySource` per official and agency."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from signing.keys import KeySource
from signing.profiles import TrustServices


class KeyDirectory(Protocol):
    trust_services: TrustServices
    """The TSA (and timeouts) signatures of B-T and above use."""

    def official_key(self, key_reference: str) -> KeySource: ...

    def agency_key(self, agency_code: str) -> KeySource: ...

    def trust_root_paths(self) -> list[Path]:
        """PEM files of the roots the service's own signatures chain to."""
