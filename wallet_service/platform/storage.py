"""Document storage behind a small interface: the database keeps a document's SHA-256, the store
keeps its bytes under that name. Content addressing makes a retried write harmless and a stored
document tamper-evident."""
from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol


class DocumentStore(Protocol):
    def put(self, data: bytes) -> str:
        """Store `data`, return its SHA-256 hex digest (the reference)."""

    def put_many(self, documents: Sequence[bytes]) -> list[str]:
        """`put` each; their digests, in order."""

    def get(self, sha256: str) -> bytes:
        """The bytes stored under `sha256`; `KeyError` when absent."""

    def exists(self, sha256: str) -> bool: ...

    def check_writable(self) -> None:
        """Raise `OSError` when documents cannot be stored (readiness probe)."""


class FileDocumentStore:
    """Documents as files `ab/cdef...` under one folder."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise KeyError(sha256)
        return self.root / sha256[:2] / sha256[2:]

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a crash never leaves a partial file under a valid name.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def put_many(self, documents: Sequence[bytes]) -> list[str]:
        """`put` each, on a few threads: each write waits ~2 ms for its fsync, and those waits overlap."""
        if len(documents) < 2:
            return [self.put(data) for data in documents]
        with ThreadPoolExecutor(min(8, len(documents))) as pool:
            return list(pool.map(self.put, documents))

    def get(self, sha256: str) -> bytes:
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise KeyError(sha256) from None

    def exists(self, sha256: str) -> bool:
        try:
            return self._path(sha256).is_file()
        except KeyError:
            return False

    def check_writable(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-"):
            pass
