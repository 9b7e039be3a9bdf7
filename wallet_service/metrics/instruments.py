"""The service's Prometheus instruments, one set per app (its own registry, so two apps in one
process count apart). Under several processes (gunicorn workers, Celery workers) prometheus_client
itself writes every value to a file in PROMETHEUS_MULTIPROC_DIR when that variable is set before it
is imported; `/metrics` then merges the files of every process (see `exposition`)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

RESULT_EVENTS = ("received", "signed", "delivered", "annulled", "returned")
"""What happens to a result, each counted by agency and procedure."""

# Requests are mostly a few ms (listings) to seconds (verification of a large PDF).
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# A batch holds 1 to 1,000 results at ~30 results/s per process.
_BATCH_SECONDS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0)
_DOCS_PER_SECOND = (1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 50.0, 100.0, 200.0, 500.0)


@dataclass(frozen=True, eq=False)
class Metrics:
    registry: CollectorRegistry
    """This app's instruments (what `/metrics` shows when there is no multiprocess folder)."""
    http_requests: Counter
    http_seconds: Histogram
    results: Mapping[str, Counter]
    """By `RESULT_EVENTS` name."""
    batch_seconds: Histogram
    batch_documents_per_second: Histogram
    authorisation_refusals: Counter
    delivery_attempts: Counter
    delivery_failures: Counter
    verifications: Counter
    credential_issuances: Counter

    def result(self, event: str, agency_code: str, procedure_code: str) -> None:
        self.results[event].labels(agency=agency_code, procedure=procedure_code).inc()


def build_metrics() -> Metrics:
    registry = CollectorRegistry()
    return Metrics(
        registry=registry,
        http_requests=Counter("wallet_http_requests", "HTTP requests answered, by route template, method and status",
                              ("route", "method", "status"), registry=registry),
        http_seconds=Histogram("wallet_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                               ("route", "method"), buckets=_HTTP_BUCKETS, registry=registry),
        results={event: Counter(f"wallet_results_{event}", f"Results {event}, by agency and procedure code",
                                ("agency", "procedure"), registry=registry) for event in RESULT_EVENTS},
        batch_seconds=Histogram("wallet_signing_batch_duration_seconds", "Time a worker took to sign a batch",
                                buckets=_BATCH_SECONDS, registry=registry),
        batch_documents_per_second=Histogram("wallet_signing_batch_documents_per_second",
                                             "Documents signed per second in a batch", buckets=_DOCS_PER_SECOND,
                                             registry=registry),
        authorisation_refusals=Counter("wallet_authorisation_refusals",
                                       "Signing approvals refused (wrong PIN or code, locked credential), by reason",
                                       ("reason",), registry=registry),
        delivery_attempts=Counter("wallet_delivery_attempts", "Delivery attempts, by target", ("target",),
                                  registry=registry),
        delivery_failures=Counter("wallet_delivery_failures", "Failed delivery attempts, by target", ("target",),
                                  registry=registry),
        verifications=Counter("wallet_verifications", "Verifications, by kind (pdf, credential) and indication",
                              ("kind", "indication"), registry=registry),
        credential_issuances=Counter("wallet_credential_issuances", "Verifiable credentials issued to wallet apps",
                                     registry=registry),
    )
