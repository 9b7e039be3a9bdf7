"""The demo officials' keys as the service reaches them in development: credentials of the embedded
remote-signing service, which signs only with the official's PIN and one-time code for each batch."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from adapters.keys.csc import CscKeySource
from signing.keys import KeySource

from ...keys.errors import KeyUnavailable
from .holders import HolderSecretsMissing, load_secrets


class RemoteOfficialKeys:
    """One CSC client per official and process (logging in per batch would add a round trip; a forked
    process opens its own connections)."""

    def __init__(self, api_url: str, instance_path: Path):
        self.api_url, self.instance_path = api_url, Path(instance_path)
        self._sources: dict[str, KeySource] = {}
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def key(self, username: str) -> KeySource:
        with self._lock:
            if self._pid != os.getpid():
                self._sources, self._pid = {}, os.getpid()
            if username not in self._sources:
                try:
                    secrets = load_secrets(self.instance_path)
                except HolderSecretsMissing as exc:
                    raise KeyUnavailable(str(exc)) from None
                self._sources[username] = CscKeySource(self.api_url, username, secrets.client_id,
                                                       secrets.client_secret)
            return self._sources[username]
