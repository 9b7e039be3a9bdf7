"""Security headers on pages and API answers."""
from __future__ import annotations

import re

from tests.conftest import login_as, official_principal, production_environment
from tests.wallet.conftest import CITIZEN1, citizen_principal
from wallet_service import create_app
from wallet_service.platform import jobs


def test_pages_get_a_strict_policy_with_a_fresh_nonce(client):
    first = client.get("/")
    policy = first.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'self'" in policy and "base-uri 'none'" in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    second = client.get("/").headers["Content-Security-Policy"]
    assert nonce not in second
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert first.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in first.headers  # development serves plain HTTP


def test_api_answers_carry_the_headers_and_docs_may_run_their_script(client):
    assert client.get("/api/openapi.json").headers["X-Frame-Options"] == "SAMEORIGIN"
    docs = client.get("/api/docs").headers["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in docs


def test_production_adds_hsts_and_allows_logout_redirects_to_the_providers(tmp_path):
    app = create_app(production_environment(tmp_path))
    try:
        response = app.test_client().get("/healthz")
    finally:
        jobs.shutdown(app)  # a production app's first request starts its periodic threads
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "form-action 'self' https://id.example.gov.vn" in response.headers["Content-Security-Policy"]


def test_personal_pages_answers_and_documents_are_not_stored_by_caches(app, client, demo_results, case_system):
    result = next(r for r in demo_results.values() if r.agency.code == "000.00.15.H40")
    for path in (f"/api/v1/results/{result.id}", f"/api/v1/results/{result.id}/document"):
        assert client.get(path, headers=case_system.headers()).headers.get("Cache-Control") == "no-store", path
    login_as(app, client, official_principal("official1"))
    for path in ("/official/", "/api/v1/me"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    login_as(app, client, citizen_principal(CITIZEN1))
    for path in ("/wallet/", "/api/v1/wallet/results", "/api/v1/me"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.headers.get("Cache-Control") == "no-store", path
    # Public static assets stay cacheable.
    assert "no-store" not in (client.get("/static/official.js").headers.get("Cache-Control") or "")
