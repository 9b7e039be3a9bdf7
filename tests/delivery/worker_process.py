"""A delivery worker as its own process (what a Celery worker or a second gunicorn process is):
`python -m tests.delivery.worker_process DATABASE_URL INSTANCE_PATH TARGETS_FILE LEASE_SECONDS`
runs one `deliver_due` round and exits."""
from __future__ import annotations

import sys

from wallet_service import create_app
from wallet_service.delivery import deliver_due


def main(database_url: str, instance_path: str, targets_file: str, lease_seconds: str) -> None:
    app = create_app({"database_url": database_url, "instance_path": instance_path, "TESTING": True,
                      "DELIVERY_TARGETS_FILE": targets_file, "DELIVERY_LEASE_SECONDS": lease_seconds})
    with app.app_context():
        print("sent", deliver_due(app), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
