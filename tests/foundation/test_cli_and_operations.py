"""What an operator or newcomer types: init (twice), clients add/token, audit verify; what production
refuses; the probes and the API description."""
from __future__ import annotations


import pytest
from sqlalchemy import func, select, update

from tests.conftest import production_environment
from wallet_service import create_app
from wallet_service.cli import main
from wallet_service.dev.demo import RESULTS
from wallet_service.models import AuditEvent, Result, db
from wallet_service.platform.config import ConfigError
from wallet_service.results import audit
from wallet_service.services import services


def run(app, *args):
    result = app.test_cli_runner().invoke(main, list(args), catch_exceptions=False)
    return result


@pytest.fixture
def initialised(app):
    first = run(app, "init")
    assert first.exit_code == 0, first.output
    return first


@pytest.mark.postgres  # SQL behaviour
def test_init_is_idempotent_and_loads_demo_results(app, initialised):
    assert "10 new pending results" in initialised.output
    second = run(app, "init")
    assert second.exit_code == 0, second.output
    assert "0 new pending results" in second.output
    assert db.session.scalar(select(func.count()).select_from(Result)) == len(RESULTS) == 10
    statuses = set(db.session.scalars(select(Result.status)))
    assert statuses == {"pending_signature"}


def test_cli_client_token_works_against_the_api_once(app, initialised):
    added = run(app, "clients", "add", "mot-cua", "--agency", "000.00.15.H40")
    assert added.exit_code == 0, added.output
    assert "private key:" in added.output
    key_file = services(app).settings.clients_dir / "mot-cua.key.pem"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    token = run(app, "clients", "token", "mot-cua").output.strip()
    client = app.test_client()
    listed = client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200
    assert [a["code"] for a in listed.json] == ["000.00.15.H40"]
    assert client.get("/api/v1/agencies", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_cli_refuses_duplicate_client_and_unknown_agency(app, initialised):
    assert run(app, "clients", "add", "a").exit_code == 0
    again = app.test_cli_runner().invoke(main, ["clients", "add", "a"])
    assert again.exit_code != 0 and "exists already" in again.output
    unknown = app.test_cli_runner().invoke(main, ["clients", "add", "b", "--agency", "000.00.99.H40"])
    assert unknown.exit_code != 0 and "unknown agency" in unknown.output


@pytest.mark.postgres  # SQL behaviour
def test_audit_verify_finds_edited_deleted_and_inserted_events(app, initialised):
    intact = run(app, "audit", "verify")
    assert intact.exit_code == 0 and "intact" in intact.output
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert len(events) >= 10
    original_actor = events[3].actor

    db.session.execute(update(AuditEvent).where(AuditEvent.id == events[3].id).values(actor="someone-else"))
    db.session.commit()
    problems = audit.verify_chain(db.session)
    assert [(p.event_id, "edited" in p.message) for p in problems] == [(events[3].id, True)]

    db.session.execute(update(AuditEvent).where(AuditEvent.id == events[3].id).values(actor=original_actor))
    db.session.delete(db.session.get(AuditEvent, events[5].id))
    db.session.commit()
    problems = audit.verify_chain(db.session)
    assert [p.event_id for p in problems] == [events[6].id]
    failed = app.test_cli_runner().invoke(main, ["audit", "verify"])
    assert failed.exit_code == 1


def test_production_refuses_development_stand_ins(tmp_path):
    with pytest.raises(ConfigError) as refused:
        create_app({"env": "production", "instance_path": tmp_path})
    for name in ("SECRET_KEY", "DATABASE_URL", "KEYS_CONFIG", "TRUST_ROOTS_PATH", "CREDENTIAL_ISSUER_KEY_FILE", "SESSION_REDIS_URL"):
        assert name in str(refused.value)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({**production_environment(tmp_path), "SECRET_KEY": "short"})
    with pytest.raises(ConfigError, match="WALLET_ENV"):
        create_app({"env": "staging", "instance_path": tmp_path})


def test_production_refuses_the_embedded_identity_provider(tmp_path):
    without_providers = {k: v for k, v in production_environment(tmp_path).items() if not k.startswith("OIDC_")}
    with pytest.raises(ConfigError, match="OIDC_CITIZEN_ISSUER"):
        create_app(without_providers)


def test_production_cookies_are_secure(tmp_path):
    app = create_app(production_environment(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_probes_without_keys(app, client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["database"] == "ok" and ready.json["checks"]["documents"] == "ok"
    assert "wallet-service init" in ready.json["checks"]["keys"]


def test_ready_with_keys_and_timestamp_service(live_app):
    ready = live_app.test_client().get("/readyz")
    assert ready.status_code == 200, ready.json
    assert set(ready.json["checks"].values()) == {"ok"}
    assert {"database", "documents", "keys", "timestamp_service"} <= set(ready.json["checks"])


def test_readyz_names_a_failing_dependency(make_app, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the documents folder should be")
    app = make_app(documents_path=blocked)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.json["checks"]["documents"].startswith("failing:")
    assert ready.json["checks"]["database"] == "ok"


def test_openapi_describes_the_intake(client):
    spec = client.get("/api/openapi.json").json
    post = spec["paths"]["/api/v1/results"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"200", "201", "409"} <= set(post["responses"])
    assert "bearerAssertion" in spec["components"]["securitySchemes"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"/api/docs/assets/swagger-ui-bundle.js" in docs.data
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_errors_are_json_with_code_and_message(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
    wrong_method = client.delete("/api/v1/results")
    assert wrong_method.status_code == 405 and wrong_method.json["error"] == "method_not_allowed"
