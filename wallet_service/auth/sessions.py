"""The logged-in session: started afresh at login (under a new id), ended at logout, after an idle
or absolute timeout or when an administrator ends an official's sessions; `next` targets kept on
this site. Its data lives on the server (`store`), so ending it there ends it for every copy of
the cookie."""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, session
from sqlalchemy import select

from ..access import OFFICIAL, SESSION_KEY, Principal
from ..models import Official, db

AUTH_KEY = "auth"
"""Session entry with the login's bookkeeping: role, login and last-seen times, ID token for logout."""
PENDING_KEY = "oidc_pending"
"""Session entry with logins in progress, by `state`."""
MAX_PENDING = 5
"""Logins started in parallel (several tabs) that we remember; older ones are forgotten."""
SEEN_AT_STEP = 60
"""Seconds of activity between two updates of a session's `seen_at` (see enforce_timeouts)."""


def start(principal: Principal, role: str, id_token: str) -> None:
    """A new session for a new login: nothing of the previous one survives, not even its id
    (session fixation)."""
    current_app.session_interface.regenerate(session)
    session.clear()
    now = time.time()  # login_at keeps its fraction: sessions ended in this same second must end
    session.permanent = True
    session[SESSION_KEY] = principal.to_session()
    session[AUTH_KEY] = {"role": role, "login_at": now, "seen_at": int(now), "id_token": id_token}


def end() -> dict | None:
    """Forget the session; returns its login bookkeeping (for provider logout)."""
    info = session.get(AUTH_KEY)
    session.clear()
    return info


def seen_at_step(idle: int) -> int:
    """Seconds of activity between two updates of `seen_at`: a minute, or a tenth of a short idle timeout."""
    return max(1, min(SEEN_AT_STEP, idle // 10))


def enforce_timeouts(idle: int, absolute: int) -> None:
    """Before each request: end a session idle or old for too long, else note it was seen.

    `seen_at` moves at most once a minute (a tenth of the idle timeout when that is shorter), so
    a busy session is not stored and its cookie sent again on every request; the idle timeout is
    then counted from up to that long before the last request."""
    info = session.get(AUTH_KEY)
    if SESSION_KEY not in session:
        return
    now = int(time.time())
    if not info or now - info.get("login_at", 0) > absolute or now - info.get("seen_at", 0) > idle:
        session.clear()
        return
    if now - info["seen_at"] >= seen_at_step(idle):
        session[AUTH_KEY] = {**info, "seen_at": now}


def enforce_ended_by_administrator() -> None:
    """Before each request: an official's session opened before an administrator ended that
    official's sessions (`wallet-service sessions end`) is over."""
    data, info = session.get(SESSION_KEY), session.get(AUTH_KEY)
    if not data or data.get("kind") != OFFICIAL or not info:
        return
    ended = db.session.scalar(select(Official.sessions_ended_at).where(Official.id == data["record_id"]))
    if ended is not None and info.get("login_at", 0) <= ended.timestamp():
        session.clear()


def remember_pending(state: str, data: dict) -> None:
    pending = dict(session.get(PENDING_KEY) or {})
    pending[state] = data
    # Keep the newest few (dicts keep insertion order).
    session[PENDING_KEY] = dict(list(pending.items())[-MAX_PENDING:])


def take_pending(state: str) -> dict | None:
    """The login started with this `state`, removed so that it can be completed only once."""
    pending = dict(session.get(PENDING_KEY) or {})
    data = pending.pop(state, None) if state else None
    session[PENDING_KEY] = pending
    return data


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None (no open redirect)."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    if target.startswith("//") or "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
