import time

import pytest

from wallet_service.batches import runner
from wallet_service.models import SigningBatch, db
from wallet_service.services import services


@pytest.fixture
def app(live_app):
    """Service tests sign for real, so their app is the one served with the development PKI."""
    return live_app


def resume_once_the_lease_ends(app, batch_id: str, lease_seconds: float) -> None:
    """Wait out a stopped worker's lease, resume its batch as the periodic task would, and check that the
    batch was the one resumed and that it finished."""
    time.sleep(lease_seconds)
    assert runner.resume_unfinished(app) == 1
    services(app).jobs.wait(timeout=300)
    db.session.expire_all()
    assert db.session.get(SigningBatch, batch_id).status == "finished"
