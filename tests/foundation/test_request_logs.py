"""Request ids and the production log: every answer names its request id (header, JSON error body,
error page); in production each request is one JSON line with the route, status, latency and kind
of caller, and never the path's or query's secrets, the caller's token or an ID number."""
from __future__ import annotations

import json
import logging

import pytest

from tests.conftest import production_environment
from wallet_service import create_app
from wallet_service.platform.logs import JsonFormatter, use_json_lines


@pytest.fixture
def json_lines(caplog):
    """What the production handler would write: caplog's records through the JSON formatter."""
    caplog.set_level(logging.INFO)
    formatter = JsonFormatter()
    return lambda: [json.loads(formatter.format(r)) for r in caplog.records]


def test_an_incoming_sane_id_is_kept_and_a_forged_one_replaced(client):
    kept = client.get("/healthz", headers={"X-Request-ID": "proxy-4f2a9c1e"})
    assert kept.headers["X-Request-ID"] == "proxy-4f2a9c1e"
    for forged in ("a b c d e f", "short", "x" * 200, '"quoted"-123456'):
        made = client.get("/healthz", headers={"X-Request-ID": forged}).headers["X-Request-ID"]
        assert made != forged and len(made) == 32 and int(made, 16) >= 0
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second


def test_json_errors_and_error_pages_carry_the_id(client):
    answer = client.get("/api/v1/results/no-such", headers={"X-Request-ID": "complaint-000123"})
    assert answer.status_code == 401
    assert answer.json["request_id"] == "complaint-000123" == answer.headers["X-Request-ID"]
    page = client.get("/no-such-page", headers={"Accept": "text/html", "X-Request-ID": "complaint-000124"})
    assert page.status_code == 404
    assert '<code data-testid="request-id">complaint-000124</code>' in page.get_data(as_text=True)
    assert "Mã yêu cầu" in page.get_data(as_text=True)


def test_a_request_line_has_route_status_latency_and_caller_and_no_secrets(app, case_system, json_lines):
    bearer = case_system.headers()
    client = app.test_client()
    client.get("/api/v1/agencies", headers={**bearer, "X-Request-ID": "trace-abcdef01"})
    client.get("/auth/callback?code=SECRETCODE&state=SECRETSTATE", headers={"X-Request-ID": "trace-abcdef02"})
    client.get("/api/v1/results/022186001234", headers={"X-Request-ID": "trace-abcdef03"})
    lines = {line["request_id"]: line for line in json_lines() if line["logger"] == "wallet_service.request"}
    listed = lines["trace-abcdef01"]
    assert listed["route"] == "/api/v1/agencies" and listed["status"] == 200 and listed["user"] == "client"
    assert listed["method"] == "GET" and isinstance(listed["latency_ms"], float) and listed["level"] == "INFO"
    assert lines["trace-abcdef02"]["route"] == "/auth/callback" and lines["trace-abcdef02"]["user"] == "anonymous"
    assert lines["trace-abcdef03"]["route"] == "/api/v1/results/<result_id>"
    everything = json.dumps(json_lines())
    for secret in ("SECRETCODE", "SECRETSTATE", "022186001234", bearer["Authorization"][7:]):
        assert secret not in everything


def test_messages_are_scrubbed_too(json_lines):
    logging.getLogger("httpx").info("HTTP Request: GET https://idp.example/token?code=LEAKED&x=1")
    (line,) = json_lines()
    assert "LEAKED" not in line["message"] and "code=[removed]" in line["message"]


@pytest.fixture
def root_logger():
    """The root logger, restored afterwards (creating a production app configures it)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_production_writes_json_lines_development_plain_text(tmp_path, root_logger, capsys):
    root_logger.handlers[:] = []  # as in a fresh process (an earlier production app of this one set them)
    create_app({"instance_path": tmp_path / "d", "TESTING": True})
    assert not any(isinstance(h.formatter, JsonFormatter) for h in root_logger.handlers)
    create_app(production_environment(tmp_path / "p"))
    logging.getLogger("wallet_service.x").warning("hello %s", "there")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (line["level"], line["logger"], line["message"]) == ("WARNING", "wallet_service.x", "hello there")


def test_use_json_lines_is_idempotent():
    logger = logging.getLogger("wallet_service.test_json")
    use_json_lines(logger)
    use_json_lines(logger)
    assert len(logger.handlers) == 1 and isinstance(logger.handlers[0].formatter, JsonFormatter)
    logger.handlers.clear()
