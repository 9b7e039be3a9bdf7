"""`POST /api/v1/verify` under its rate limits: a full verification counts against `RATE_LIMIT_VERIFY`
(the shared store, as every other limit), a registered document answered from its stored report
against `RATE_LIMIT_VERIFY_REGISTERED` in the memory of the process that answers it."""
from __future__ import annotations

import pytest

from tests.conftest import _serve

from .conftest import signed_pdf, use_verifier, with_flipped_byte

LIMITS = {"RATE_LIMIT_VERIFY": "2 per minute", "RATE_LIMIT_VERIFY_REGISTERED": "4 per minute"}


@pytest.fixture
def other_process(make_app, tmp_path, trusted_verifier):
    """A second app on the same database, as another gunicorn worker would be (made first: making an
    app empties the tables)."""
    other = make_app(instance_path=tmp_path / "other-instance", **LIMITS)
    use_verifier(other, trusted_verifier)
    return other


@pytest.fixture
def app(other_process, make_app, live_server, tmp_path, trusted_verifier):
    for served in _serve(make_app, live_server, tmp_path, **LIMITS):
        use_verifier(served, trusted_verifier)
        yield served


def post(client, data: bytes):
    return client.post("/api/v1/verify", data=data, content_type="application/pdf",
                       headers={"Accept-Language": "en", "Accept": "application/json"})


def test_full_verifications_share_a_limit_register_answers_are_counted_per_process(app, other_process, signed_result):
    pdf = signed_pdf(app, signed_result)
    altered = with_flipped_byte(pdf)  # not a registered document: verified in full each time
    client = app.test_client()

    first, second, third = post(client, pdf), post(client, altered), post(client, altered)
    assert (first.status_code, first.json["answered_from"]) == (200, "full")  # stores the report
    assert (second.status_code, second.json["answered_from"]) == (200, "full")
    assert (third.status_code, third.json["error"]) == (429, "too_many_requests")  # the flood of full ones
    assert int(third.headers["Retry-After"]) > 0

    # The registered document is still answered from the register: it does not use the spent shared limit...
    registered = post(client, pdf)
    assert (registered.status_code, registered.json["answered_from"]) == (200, "register")
    # ...until this process's own count (every request it took: 4 per minute) is spent too.
    refused = post(client, pdf)
    assert (refused.status_code, refused.json["error"]) == (429, "too_many_requests")
    assert int(refused.headers["Retry-After"]) > 0

    # Another process counts its own answers from the register.
    elsewhere = post(other_process.test_client(), pdf)
    assert (elsewhere.status_code, elsewhere.json["answered_from"]) == (200, "register")
    assert elsewhere.json["indication"] == "TOTAL-PASSED"
