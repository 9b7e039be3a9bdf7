"""Where login sessions live: on the server (Flask-Session), the browser holding only a random id.

A copied cookie is worth nothing once the server forgets its session (logout, timeouts, an
administrator ending an official's sessions), and the ID token and PKCE verifier never reach the
browser. Redis in production, so every worker and machine sees the same sessions; files under the
instance folder in development."""
from __future__ import annotations

import datetime as dt

from flask import Flask, Request
from flask.sessions import SessionInterface
from flask_session import Session

from ..platform.config import Settings
from ..services import services

KEY_PREFIX = "wallet-session:"
SESSIONLESS_PATHS = frozenset({"/api/v1/verify", "/api/v1/verify/credential"})
"""Anonymous API endpoints that answer everyone alike: they neither read nor write a session."""
FILE_THRESHOLD = 10_000
"""Session files kept in development before the oldest are pruned (expired ones go first)."""


def init_app(app: Flask, settings: Settings, lifetime: dt.timedelta) -> None:
    """Keep sessions server-side; each stored session expires `lifetime` after its last write."""
    app.config.update(
        SESSION_PERMANENT=True,
        SESSION_KEY_PREFIX=KEY_PREFIX,
        SESSION_ID_LENGTH=32,  # bytes of randomness in the cookie's id
        PERMANENT_SESSION_LIFETIME=lifetime,
    )
    if settings.session_redis_url:
        import redis

        client = redis.Redis.from_url(settings.session_redis_url, socket_timeout=5, socket_connect_timeout=5)
        app.config.update(SESSION_TYPE="redis", SESSION_REDIS=client)
        services(app).readiness_checks["sessions"] = client.ping  # without it nobody stays logged in
    else:
        from cachelib.file import FileSystemCache

        folder = settings.instance_path / "sessions"
        app.config.update(SESSION_TYPE="cachelib",
                          SESSION_CACHELIB=FileSystemCache(str(folder), threshold=FILE_THRESHOLD, mode=0o600))
    Session(app)
    app.session_interface = SessionlessPaths(app.session_interface, SESSIONLESS_PATHS)


class SessionlessPaths(SessionInterface):
    """The server-side sessions, except on `paths`, which get Flask's null session: a browser's cookie
    sent with a verification costs no read of the session store, and no write."""

    def __init__(self, inner: SessionInterface, paths: frozenset[str]):
        self.inner = inner
        self.paths = paths

    def open_session(self, app: Flask, request: Request):
        if request.path in self.paths:
            return self.make_null_session(app)
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:
        if not self.is_null_session(session):
            self.inner.save_session(app, session, response)

    def __getattr__(self, name: str):  # regenerate() and the like, of the server-side store
        return getattr(self.inner, name)
