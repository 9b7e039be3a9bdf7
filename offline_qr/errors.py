"""Why a code is refused, as a machine-readable code plus an English explanation; the service
translates the codes for people."""
from __future__ import annotations

UNREADABLE = frozenset({"wrong_prefix", "not_base45", "too_long", "truncated", "too_large", "not_cose"})
"""Codes meaning the text is not an offline code at all (as opposed to a code that does not verify)."""


class OfflineCodeError(Exception):
    """A code that cannot be read, or that does not verify."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message

    @property
    def unreadable(self) -> bool:
        return self.code in UNREADABLE
