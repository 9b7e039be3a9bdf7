"""The one error of the keys package, apart so that `config` and `directory` both raise it."""
from __future__ import annotations

from ..platform.errors import ApiError


class KeyUnavailable(ApiError):
    status = 409
    code = "key_unavailable"
