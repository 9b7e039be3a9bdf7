"""The file document store: content-addressed, every write complete under its name."""
from __future__ import annotations

import hashlib
import os

from wallet_service.platform.storage import FileDocumentStore


def test_put_many_stores_each_document_under_its_digest_in_order(tmp_path):
    store = FileDocumentStore(tmp_path)
    documents = [os.urandom(50_000) for _ in range(20)] + [b"%PDF-1.7 same"] * 2
    digests = store.put_many(documents)
    assert digests == [hashlib.sha256(d).hexdigest() for d in documents]
    assert all(store.get(digest) == data for digest, data in zip(digests, documents))
    assert not list(tmp_path.rglob(".incoming-*"))  # no temporary file is left behind
    assert store.put_many([]) == []
