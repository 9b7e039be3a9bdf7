"""JSON request bodies, parsed in one place: Flask's `request.get_json`, flask-smorest's
`@blp.arguments` and the intake's `metadata` part all go through `loads`.

The standard parser recurses once per nesting level: a few kilobytes of `[[[[` raise
RecursionError (a 500), and a structure just under the interpreter's limit overflows the stack of
whatever walks it next. Both are refused here as invalid JSON, which each caller answers with a 400."""
from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from flask.json.provider import DefaultJSONProvider
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

MAX_DEPTH = 64
"""Deepest nesting of arrays and objects a request body may have (the service's own need a few)."""


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """`json.loads`, refusing bodies nested deeper than `MAX_DEPTH` with `json.JSONDecodeError`."""
    # The error carries the text: webargs takes an error on an empty document for "no body".
    document = text if isinstance(text, str) else text.decode("utf-8", "replace")
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise json.JSONDecodeError("JSON nested too deeply", document, 0) from None
    _check_depth(value, document)
    return value


def _check_depth(value: Any, document: str) -> None:
    pending = [(value, 1)]  # iterative: walking a deep value recursively is what fails
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        if children and depth > MAX_DEPTH:
            raise json.JSONDecodeError(f"JSON nested deeper than {MAX_DEPTH} levels", document, 0)
        pending.extend((child, depth + 1) for child in children)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with `loads` above (`request.get_json` answers 400, or None if silent)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)


class _Parser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return loads(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint whose `@arguments` parse JSON bodies with `loads` above."""

    ARGUMENTS_PARSER = _Parser()
