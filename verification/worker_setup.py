"""What a process that only verifies sets up once, before its first document."""

from __future__ import annotations

from verification.caches import WorkerCaches
from verification.names import memoise_name_keys, memoise_name_preparation
from verification.path_outcomes import reuse_path_outcomes
from verification.signed_data_certs import memoise_signed_data_certs


def prepare_worker(caches: WorkerCaches) -> None:
    """Install the memos that change asn1crypto and pyHanko for the whole process (see each
    module): worker processes call this once, with the caches they keep for their life."""
    memoise_name_preparation(caches.prepared_names)
    memoise_name_keys(caches.name_keys)
    reuse_path_outcomes()
    memoise_signed_data_certs()
