"""The emulator's sense of time, which can run faster than the wall clock.

``--time-scale X`` makes an emulated minute last 60/X real seconds, so that token expiry and
per-minute throttling can be exercised by tests and benchmarks in seconds. Everything in the
emulator that reads time (MetaData timestamps, token lifetimes, throttle windows, CDC windows)
reads it here.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Emulated time: starts at the real time and advances ``time_scale`` times faster."""

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be greater than 0")
        self.time_scale = time_scale
        self._real_start = time.monotonic()
        self._emulated_start = time.time()
        self._offset = 0.0
        self._lock = threading.Lock()

    def timestamp(self) -> float:
        """Emulated seconds since the epoch."""
        elapsed = (time.monotonic() - self._real_start) * self.time_scale
        with self._lock:
            return self._emulated_start + elapsed + self._offset

    def now(self) -> datetime:
        """Emulated now, timezone-aware (UTC)."""
        return datetime.fromtimestamp(self.timestamp(), tz=UTC)

    def advance(self, delta: timedelta) -> None:
        """Jump emulated time forward (for tests of expiry and CDC windows)."""
        with self._lock:
            self._offset += delta.total_seconds()
