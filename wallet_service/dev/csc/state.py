"""What the development remote-signing service remembers between calls: access tokens, each
credential's failed attempts, lock and used one-time codes, and the SADs it gave out.

It lives in the memory of one process, behind one lock, and is lost on restart: a development
service needs no more (a restart unlocks the demo credentials and voids open SADs, which a client
must survive anyway). Several gunicorn workers would each count on their own; run the development
server, which is one process."""
from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_ATTEMPTS = 5
"""Wrong PIN or one-time code in a row before the credential locks."""
SAD_LIFETIME = 300
"""Seconds a SAD may be used."""
TOKEN_LIFETIME = 3600
"""Seconds an access token from `auth/login` may be used."""


class CscError(Exception):
    """An answer as CSC gives it: HTTP status, `error`, `error_description`, and extra fields."""

    def __init__(self, status: int, error: str, description: str, **extra: object):
        super().__init__(description)
        self.status, self.error, self.description, self.extra = status, error, description, extra

    def body(self) -> dict:
        return {"error": self.error, "error_description": self.description, **self.extra}


@dataclass
class _Sad:
    credential_id: str
    hashes: set[str]
    remaining: int
    expires_at: float


@dataclass
class _Credential:
    failures: int = 0
    locked: bool = False
    used_steps: set[int] = field(default_factory=set)
    """TOTP time steps whose code was accepted once already."""


class CscState:
    """The service's memory (see the module's docstring); every method holds the lock."""

    def __init__(self, clock: Callable[[], float] = time.time, sad_lifetime: int = SAD_LIFETIME):
        self.clock, self.sad_lifetime = clock, sad_lifetime
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}
        self._credentials: dict[str, _Credential] = {}
        self._sads: dict[str, _Sad] = {}

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            now = self.clock()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + TOKEN_LIFETIME
        return token

    def token_valid(self, token: str) -> bool:
        with self._lock:
            return self._tokens.get(token, 0) > self.clock()

    def authorize(self, credential_id: str, pin_ok: bool, otp_step: int | None, hashes: list[str]) -> tuple[str, int]:
        """Check the holder's factors and, if both hold, give a SAD for exactly `hashes`;
        returns the SAD and its lifetime. A wrong PIN, a wrong code and a replayed code all count
        as failed attempts; the last allowed one locks the credential."""
        with self._lock:
            cred = self._credentials.setdefault(credential_id, _Credential())
            if cred.locked:
                raise _locked()
            refusal = self._refusal(cred, pin_ok, otp_step)
            if refusal is not None:
                cred.failures += 1
                if cred.failures >= MAX_ATTEMPTS:
                    cred.locked = True
                    raise _locked()
                left = MAX_ATTEMPTS - cred.failures
                raise CscError(400, refusal[0], f"{refusal[1]} ({left} attempts left)", remaining_attempts=left)
            cred.failures = 0
            cred.used_steps = {s for s in cred.used_steps if s >= otp_step - 2} | {otp_step}
            return self._new_sad(credential_id, hashes), self.sad_lifetime

    @staticmethod
    def _refusal(cred: _Credential, pin_ok: bool, otp_step: int | None) -> tuple[str, str] | None:
        if not pin_ok:
            return "invalid_pin", "The PIN is invalid"
        if otp_step is None:
            return "invalid_otp", "The OTP is invalid"
        if otp_step in cred.used_steps:
            return "invalid_otp", "The OTP has already been used"
        return None

    def _new_sad(self, credential_id: str, hashes: list[str]) -> str:
        now = self.clock()
        self._sads = {k: s for k, s in self._sads.items() if s.expires_at > now and s.remaining > 0}
        sad = secrets.token_urlsafe(24)
        self._sads[sad] = _Sad(credential_id, set(hashes), len(hashes), now + self.sad_lifetime)
        return sad

    def consume(self, sad: str, credential_id: str, hashes: list[str]) -> None:
        """Spend the SAD on `hashes`: each must be authorised by it and not signed yet."""
        with self._lock:
            held = self._sads.get(sad)
            if held is None or held.credential_id != credential_id:
                raise CscError(400, "invalid_request", "Invalid parameter SAD")
            if held.expires_at <= self.clock():
                del self._sads[sad]
                raise CscError(400, "expired_sad", "The SAD has expired")
            if len(set(hashes)) != len(hashes) or not set(hashes) <= held.hashes or len(hashes) > held.remaining:
                raise CscError(400, "invalid_request", "Invalid parameter hashes: not authorised by this SAD")
            held.hashes -= set(hashes)
            held.remaining -= len(hashes)

    def unlock(self, credential_id: str) -> None:
        """Forget a credential's failed attempts and lock (tests, a development restart)."""
        with self._lock:
            self._credentials.pop(credential_id, None)


def _locked() -> CscError:
    return CscError(400, "credential_locked",
                    f"The credential is locked after {MAX_ATTEMPTS} failed authorisations", remaining_attempts=0)
