"""The one error administration raises: a sentence the operator can act on."""
from __future__ import annotations


class AdminError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
