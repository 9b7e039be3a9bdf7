"""Which runner an app gets, and what runs in the background: in-process jobs and Periodic threads by
default; with CELERY_BROKER_URL, Celery tasks and beat entries and no thread of its own.
(These need no broker: creating a Celery app does not connect.)"""
from __future__ import annotations

import threading

import pytest

from wallet_service.platform import jobs, runners
from wallet_service.platform.celery_app import DEFAULT_QUEUE
from wallet_service.platform.config import ConfigError
from wallet_service.services import services

UNUSED_PORT_BROKER = "redis://127.0.0.1:9/0"  # discard port: nothing answers there


def wallet_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("wallet-") and t.is_alive()}


@pytest.fixture
def no_celery_environment(monkeypatch):
    for name in ("CELERY_BROKER_URL", "CELERY_QUEUE", "CELERY_SIGNING_QUEUE", "CELERY_VISIBILITY_TIMEOUT",
                 "CELERY_BEAT_SCHEDULE_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_default_runs_jobs_in_process_and_periodic_work_on_threads(make_app, no_celery_environment):
    app = make_app(DELIVERY_POLL_SECONDS=30, BATCH_RESUME_SECONDS=30)
    assert isinstance(jobs.runner(app), runners.InProcessJobRunner)
    assert services(app).celery is None
    pollers = [services(app).delivery_poller, services(app).batch_resume_poller]
    assert not any(p.running for p in pollers)  # nothing before the first request
    try:
        assert app.test_client().get("/healthz").status_code == 200
        assert all(p.running for p in pollers)
        assert {"wallet-delivery", "wallet-batch-resume"} <= wallet_threads()
    finally:
        for poller in pollers:
            poller.stop()


def test_in_process_runner_runs_a_task_inside_an_app_context(make_app, no_celery_environment):
    seen = []
    app = make_app()
    jobs.init_app(app, {"probe": lambda a, word: seen.append((services(a).settings.env, word))})
    jobs.runner(app).submit("probe", "xin chào")
    jobs.runner(app).wait(timeout=30)
    assert seen == [("development", "xin chào")]


def test_broker_url_switches_to_celery_and_starts_no_thread(make_app, no_celery_environment, tmp_path):
    before = wallet_threads()
    app = make_app(CELERY_BROKER_URL=UNUSED_PORT_BROKER, DELIVERY_POLL_SECONDS=2, BATCH_RESUME_SECONDS=7)
    assert isinstance(jobs.runner(app), runners.CeleryJobRunner)
    assert services(app).delivery_poller is None and services(app).batch_resume_poller is None
    app.test_client().get("/healthz")
    assert not wallet_threads() - before  # the first request started nothing

    celery = services(app).celery
    conf = celery.conf
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost, conf.worker_prefetch_multiplier) == (True, True, 1)
    assert conf.broker_transport_options == {"visibility_timeout": 3600}
    assert conf.task_default_queue == DEFAULT_QUEUE
    assert conf.task_routes == {"wallet.sign_batch": {"queue": DEFAULT_QUEUE}, "wallet.prepare_batch": {"queue": DEFAULT_QUEUE}}
    assert conf.beat_schedule_filename == str(tmp_path / "instance" / "celerybeat-schedule")
    assert {name: (entry["task"], entry["schedule"]) for name, entry in conf.beat_schedule.items()} == {
        "delivery": ("wallet.every.delivery", 2.0),
        "batch-resume": ("wallet.every.batch-resume", 7.0),
    }
    assert {"wallet.sign_batch", "wallet.deliver_due", "wallet.every.delivery", "wallet.every.batch-resume"} <= set(
        celery.tasks)
    assert celery is not getattr(__import__("celery")._state, "default_app", None)  # nothing set process-wide
    other = services(make_app(CELERY_BROKER_URL=UNUSED_PORT_BROKER)).celery
    assert other.tasks["wallet.sign_batch"] is not celery.tasks["wallet.sign_batch"]  # each runs in its own app


def test_celery_settings_come_from_the_environment(make_app, no_celery_environment, monkeypatch, tmp_path):
    monkeypatch.setenv("CELERY_BROKER_URL", UNUSED_PORT_BROKER)
    monkeypatch.setenv("CELERY_QUEUE", "quang-ninh")
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "7200")
    monkeypatch.setenv("CELERY_SIGNING_QUEUE", "quang-ninh-ky-so")
    monkeypatch.setenv("CELERY_BEAT_SCHEDULE_FILE", str(tmp_path / "beat"))
    monkeypatch.setenv("BATCH_RESUME_SECONDS", "9")
    conf = services(make_app()).celery.conf
    assert conf.broker_url == UNUSED_PORT_BROKER
    assert conf.task_default_queue == "quang-ninh"
    assert conf.task_routes == {name: {"queue": "quang-ninh-ky-so"} for name in ("wallet.sign_batch", "wallet.prepare_batch")}
    assert conf.broker_transport_options == {"visibility_timeout": 7200}
    assert conf.beat_schedule_filename == str(tmp_path / "beat")
    # TESTING turns the delivery round off unless asked for; the resume round was asked for.
    assert {name: entry["schedule"] for name, entry in conf.beat_schedule.items()} == {"batch-resume": 9.0}


@pytest.mark.parametrize("value", ["soon", "-1"])
def test_a_bad_resume_interval_is_refused_by_name(make_app, no_celery_environment, monkeypatch, value):
    monkeypatch.setenv("BATCH_RESUME_SECONDS", value)
    with pytest.raises(ConfigError, match="BATCH_RESUME_SECONDS"):
        make_app()


@pytest.mark.parametrize("value", ["an hour", "0", "-5"])
def test_a_bad_visibility_timeout_is_refused_by_name(make_app, no_celery_environment, value):
    with pytest.raises(ConfigError, match="CELERY_VISIBILITY_TIMEOUT"):
        make_app(CELERY_BROKER_URL=UNUSED_PORT_BROKER, CELERY_VISIBILITY_TIMEOUT=value)


def test_unreachable_broker_fails_readiness_and_a_submit_does_not_raise(make_app, no_celery_environment):
    app = make_app(CELERY_BROKER_URL=UNUSED_PORT_BROKER)
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["broker"].startswith("failing:")
    # The batch is in the database already; the resume round sends it again once the broker is back.
    jobs.runner(app).submit("sign_batch", "no-such-batch")
