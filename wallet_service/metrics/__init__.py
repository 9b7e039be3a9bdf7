"""Operators' metrics: Prometheus instruments counted where things happen (HTTP requests, result
events, signing batches, approvals, deliveries, verifications, credentials), gauges read from the
database at scrape time, and `/metrics` (`exposition`)."""
from __future__ import annotations

import time

from flask import Flask, request

from ..results.events import (
    connect_for_app, connect_many_for_app, result_annulled, result_delivered, result_returned, results_signed,
)
from ..services import services
from .instruments import Metrics, build_metrics

__all__ = ["Metrics", "build_metrics", "init_app"]

_STARTED = "wallet.metrics.started"


def init_app(app: Flask) -> None:
    from . import exposition

    metrics = build_metrics()
    services(app).metrics = metrics
    for event, signal in (("delivered", result_delivered), ("annulled", result_annulled), ("returned", result_returned)):
        connect_for_app(signal, app, _counter_of(metrics, event))
    connect_many_for_app(results_signed, app, _each(_counter_of(metrics, "signed")))
    _time_requests(app, metrics)
    app.register_blueprint(exposition.bp)


def _counter_of(metrics: Metrics, event: str):
    def count(_session, result) -> None:
        metrics.result(event, result.agency.code, result.procedure_code)

    return count


def _each(count):
    def count_each(session, results) -> None:
        for result in results:
            count(session, result)

    return count_each


def _time_requests(app: Flask, metrics: Metrics) -> None:
    @app.before_request
    def _start():
        request.environ[_STARTED] = time.perf_counter()

    @app.after_request
    def _observe(response):
        started = request.environ.get(_STARTED)
        if started is not None:
            # The route's template, not the path: one series per endpoint, whatever the ids.
            route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
            metrics.http_seconds.labels(route, request.method).observe(time.perf_counter() - started)
            metrics.http_requests.labels(route, request.method, str(response.status_code)).inc()
        return response
