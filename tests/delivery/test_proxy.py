"""A deployment whose stores are reached through an HTTP proxy names it in the environment
(`HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY`), as for any HTTP client: the worker posts through it.
The counting store stands in for the proxy here: it receives the POST for the store's URL."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from wallet_service.delivery import deliver_due

from .conftest import AGENCY1

STORE_BEHIND_PROXY = "http://store.invalid/inbox"  # resolvable by the proxy only


@pytest.fixture
def targets_file(tmp_path, store, monkeypatch) -> str:
    for name in ("HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://" + urlsplit(store.url).netloc)
    path = tmp_path / "targets.json"
    path.write_text(json.dumps({"targets": [{"name": "portal", "url": STORE_BEHIND_PROXY, "include_document": False}]}))
    return str(path)


def _first_of(demo_results, agency: str):
    return next(r for r in demo_results.values() if r.agency.code == agency)


def test_deliveries_go_through_the_proxy_the_environment_names(app, demo_results, sign, store):
    sign(_first_of(demo_results, AGENCY1))
    assert deliver_due(app) == 1
    (received,) = store.state.accepted.values()
    assert received.headers["Host"] == "store.invalid" and received.content_type == "application/jose"


def test_no_proxy_exempts_a_store(app, demo_results, sign, store, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "store.invalid")
    sign(_first_of(demo_results, AGENCY1))
    assert deliver_due(app) == 1  # tried directly: the name does not resolve, so it is retried later
    assert store.state.requests == []
