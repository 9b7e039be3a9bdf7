"""The renewal's schedule and settings as an operator sets them."""
from __future__ import annotations

import threading

import pytest

from wallet_service.platform.config import ConfigError
from wallet_service.services import services

from ..scale.test_job_runners import UNUSED_PORT_BROKER


def test_under_celery_the_renewal_is_a_beat_entry(make_app, monkeypatch):
    monkeypatch.delenv("CELERY_BEAT_SCHEDULE_FILE", raising=False)
    app = make_app(CELERY_BROKER_URL=UNUSED_PORT_BROKER, ARCHIVE_RENEW_SECONDS=86400)
    entry = services(app).celery.conf.beat_schedule["archive_renewal"]
    assert (entry["task"], entry["schedule"]) == ("wallet.every.archive_renewal", 86400.0)


def test_the_embedded_default_renews_on_a_thread_of_its_own(make_app):
    app = make_app(ARCHIVE_RENEW_SECONDS=3600)
    app.test_client().get("/healthz")  # the first request starts the periodic threads
    names = {t.name for t in threading.enumerate() if t.is_alive()}
    assert "wallet-archive_renewal" in names


@pytest.mark.parametrize("name, value", [("ARCHIVE_RENEWAL_MARGIN_DAYS", "0"), ("ARCHIVE_RENEW_LIMIT", "many")])
def test_a_bad_setting_is_refused_by_name(make_app, name, value):
    with pytest.raises(ConfigError, match=name):
        make_app(**{name: value})


def test_deprecated_algorithms_are_a_list(make_app):
    app = make_app(ARCHIVE_DEPRECATED_ALGORITHMS="sha1, rsa1024")
    assert services(app).settings.archive.deprecated_algorithms == ("sha1", "rsa1024")
