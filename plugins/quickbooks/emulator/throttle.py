"""Per-realm rate limits, as QuickBooks Online enforces them (facts §6).

A client that is well-behaved against the real service must be well-behaved here too, so the
limits are the documented ones and windows are measured in emulated time: ``--time-scale``
shortens a minute for tests exactly as it shortens token lifetimes.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from .clock import Clock


@dataclass(frozen=True)
class Limit:
    """At most ``max_requests`` in any sliding window of ``window_seconds``."""

    name: str
    max_requests: int
    window_seconds: float
    per_app: bool
    batch_only: bool


LIMITS = (
    Limit("requests per minute per realm", 500, 60.0, per_app=False, batch_only=False),
    Limit("requests per second per realm and app", 10, 1.0, per_app=True, batch_only=False),
    Limit("batch requests per minute per realm and app", 40, 60.0, per_app=True, batch_only=True),
    Limit("batch requests per minute per realm", 120, 60.0, per_app=False, batch_only=True),
)


class Limiter:
    """Sliding-window request counter; thread-safe, one log of arrival times per window key.

    A refused request is not counted, so a client that backs off gets back in as soon as the
    oldest counted request leaves the window.
    """

    def __init__(self, clock: Clock, limits: tuple[Limit, ...] = LIMITS) -> None:
        self._clock = clock
        self._limits = limits
        self._windows: dict[tuple[str, str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, realm_id: str, client_id: str, is_batch: bool) -> bool:
        """Count the request and say whether it is within every applicable limit."""
        now = self._clock.timestamp()
        with self._lock:
            windows = []
            for limit in self._limits:
                if limit.batch_only and not is_batch:
                    continue
                key = (limit.name, realm_id, client_id if limit.per_app else "")
                window = self._windows.setdefault(key, deque())
                while window and window[0] <= now - limit.window_seconds:
                    window.popleft()
                if len(window) >= limit.max_requests:
                    return False
                windows.append(window)
            for window in windows:
                window.append(now)
            return True
