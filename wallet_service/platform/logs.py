"""Logs an operator can search: in production every line is one JSON object (time, level, logger,
message, request id; a request's line adds method, route, status, latency and the kind of caller),
in development plain text. Each request has an id, taken from a sane incoming `X-Request-ID` (the
reverse proxy's) or made here, sent back in that header, written in JSON error bodies and on error
pages, so a citizen's complaint quoting it leads to the log lines.

What is never logged: a request's path and query (they may hold login codes, offer codes, tokens, or
an ID number), its headers and bodies. The route logged is the URL rule (`/api/v1/results/<result_id>`),
and messages pass through the access log's scrubber."""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable

from flask import Flask, Response, has_request_context, request
from gunicorn.glogging import Logger

from .access_log import REMOVED, SECRET_HEADERS, scrub

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_KEY = "wallet.request_id"
_STARTED_KEY = "wallet.request_started"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
"""What an incoming id may look like to be kept: no spaces, quotes or control characters to forge
log lines or headers with, long enough not to collide by accident."""
REQUEST_FIELDS = ("method", "route", "status", "latency_ms", "user")
"""The fields a request's line adds; nothing else from a request reaches a log."""


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    return request.environ.get(_REQUEST_ID_KEY) if has_request_context() else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        rid = getattr(record, "request_id", None) or request_id()
        if rid:
            line["request_id"] = rid
        line.update({name: getattr(record, name) for name in REQUEST_FIELDS if hasattr(record, name)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def use_json_lines(logger: logging.Logger | None = None, level: int = logging.INFO) -> None:
    """Make `logger` (default: the root) write JSON lines to stderr; idempotent. Handlers already
    there (gunicorn's, Celery's) keep their place and get the JSON formatter."""
    logger = logger or logging.getLogger()
    if not logger.handlers:
        logger.addHandler(logging.StreamHandler(sys.stderr))
    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
    logger.setLevel(min(logger.level or level, level))


def _start() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request.environ[_REQUEST_ID_KEY] = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
    request.environ[_STARTED_KEY] = time.perf_counter()


def _finish(response: Response, caller_kind: Callable[[], str | None]) -> Response:
    rid = request.environ.get(_REQUEST_ID_KEY)
    if rid is None:  # a response made before `_start` ran (another before_request refused first)
        _start()
        rid = request.environ[_REQUEST_ID_KEY]
    response.headers[REQUEST_ID_HEADER] = rid
    started = request.environ.get(_STARTED_KEY, time.perf_counter())
    logging.getLogger("wallet_service.request").info(
        "%s %s %s", request.method, request.url_rule.rule if request.url_rule else "-", response.status_code,
        extra={"request_id": rid, "method": request.method, "route": request.url_rule.rule if request.url_rule else None,
               "status": response.status_code, "latency_ms": round((time.perf_counter() - started) * 1000, 1),
               "user": caller_kind() or "anonymous"})
    return response


def init_app(app: Flask, production: bool, caller_kind: Callable[[], str | None]) -> None:
    """Request ids on every request; JSON lines in production (plain text in development).
    `caller_kind` names the kind of caller the request already authenticated, if any (given by the
    app, so that this module needs nothing of the access layer)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)  # first: every later refusal has its id
    app.after_request(lambda response: _finish(response, caller_kind))
    if production:
        use_json_lines()


class GunicornLogger(Logger):
    """gunicorn's logger (`logger_class` in gunicorn.conf.py) whose access-log atoms are scrubbed,
    whatever `access_log_format` picks: request line, path, query, referrer, raw URI; credentials
    in headers are dropped."""

    def setup(self, cfg):
        super().setup(cfg)
        # gunicorn reads its configuration before the app exists, so it checks the variable itself.
        if os.environ.get("WALLET_ENV") == "production":
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in SECRET_HEADERS:
            if name in atoms:
                atoms[name] = REMOVED
        return {name: scrub(value) if isinstance(value, str) else value for name, value in atoms.items()}
