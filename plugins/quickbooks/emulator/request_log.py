"""The API requests each realm received, so tests can count the calls a client made."""

from __future__ import annotations

import threading
from collections import deque

MAX_ENTRIES_PER_REALM = 10_000


class RequestLog:
    """A bounded, thread-safe list of request summaries per realm (oldest dropped first)."""

    def __init__(self, max_entries: int = MAX_ENTRIES_PER_REALM) -> None:
        self._max_entries = max_entries
        self._entries: dict[str, deque[dict]] = {}
        self._lock = threading.Lock()

    def record(self, realm_id: str, entry: dict) -> None:
        """Append one request summary (method, path, query, status, time)."""
        with self._lock:
            log = self._entries.get(realm_id)
            if log is None:
                log = self._entries[realm_id] = deque(maxlen=self._max_entries)
            log.append(entry)

    def entries(self, realm_id: str) -> list[dict]:
        """The realm's requests, oldest first."""
        with self._lock:
            return list(self._entries.get(realm_id, ()))

    def clear(self, realm_id: str) -> None:
        """Forget the realm's requests (a test starts counting from zero)."""
        with self._lock:
            self._entries.pop(realm_id, None)
