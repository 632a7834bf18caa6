"""The client-side rate limiter, one per realm per process, so our own traffic never gets a 429.

QBO counts requests per realm in sliding windows (facts §6: 500 a minute, 10 a second, 40 batch
requests a minute). Every job of a realm in this process shares one :class:`RateLimiter` through
:func:`limiter_for`, so the budget is the realm's, not each job's.

A request occupies its windows from the moment it is sent until ``window`` after its reply
arrived. QBO counts it at some instant in between that we cannot see; counting it from the reply
is what makes the guarantee hold however slow or uneven the network is, at the price of a
window's worth of round-trip time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_IN_FLIGHT = float("inf")


@dataclass(frozen=True)
class Limits:
    """A realm's budget; ``time_scale`` > 1 shortens every window (for tests and benchmarks)."""

    per_minute: int = 500
    per_second: int = 10
    batch_per_minute: int = 40
    time_scale: float = 1.0

    def __post_init__(self) -> None:
        if min(self.per_minute, self.per_second, self.batch_per_minute) < 1:
            raise ValueError("rate limits must be at least 1 request per window")
        if self.time_scale <= 0:
            raise ValueError("time_scale must be greater than 0")


class _Slot:
    """One request's place in the windows: in flight until :meth:`RateLimiter.release`."""

    __slots__ = ("ended",)

    def __init__(self) -> None:
        self.ended = _IN_FLIGHT


@dataclass
class _Window:
    max_requests: int
    seconds: float
    batch_only: bool
    slots: list[_Slot]

    def prune(self, now: float) -> None:
        self.slots = [s for s in self.slots if s.ended > now - self.seconds]

    def free_at(self) -> float:
        """When the next place frees up (inf while every counted request is in flight)."""
        return min(s.ended for s in self.slots) + self.seconds


class RateLimiter:
    """Sliding-window limiter for one realm; thread-safe. Use :meth:`slot` around a request."""

    def __init__(self, limits: Limits | None = None) -> None:
        self._condition = threading.Condition()
        self._held_until = 0.0
        self.limits = limits or Limits()
        self._windows = self._build_windows(self.limits)

    @staticmethod
    def _build_windows(limits: Limits) -> list[_Window]:
        scale = limits.time_scale
        return [
            _Window(limits.per_minute, 60.0 / scale, False, []),
            _Window(limits.per_second, 1.0 / scale, False, []),
            _Window(limits.batch_per_minute, 60.0 / scale, True, []),
        ]

    def reconfigure(self, limits: Limits) -> None:
        """Adopt new limits (the admin changed them) keeping the requests already counted."""
        with self._condition:
            if limits == self.limits:
                return
            windows = self._build_windows(limits)
            for new, old in zip(windows, self._windows, strict=True):
                new.slots = old.slots
            self.limits, self._windows = limits, windows
            self._condition.notify_all()

    @contextmanager
    def slot(self, batch: bool = False) -> Iterator[None]:
        """Wait for room in every window, then count the request until ``window`` after it."""
        taken = self.acquire(batch)
        try:
            yield
        finally:
            self.release(taken)

    def acquire(self, batch: bool = False) -> _Slot:
        """Block until the request fits every window; the caller must :meth:`release` it."""
        with self._condition:
            while True:
                now = time.monotonic()
                wait = self._held_until - now
                if wait <= 0:
                    windows = [w for w in self._windows if batch or not w.batch_only]
                    for window in windows:
                        window.prune(now)
                    full = [w for w in windows if len(w.slots) >= w.max_requests]
                    if not full:
                        taken = _Slot()
                        for window in windows:
                            window.slots.append(taken)
                        return taken
                    wait = max(w.free_at() for w in full) - now
                # inf: every counted request is in flight; a release will wake us.
                self._condition.wait(None if wait == _IN_FLIGHT else max(wait, 0.0005))

    def release(self, taken: _Slot) -> None:
        """The request's reply arrived (or it was abandoned): its windows start running."""
        with self._condition:
            taken.ended = time.monotonic()
            self._condition.notify_all()

    def hold(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (scaled like the windows): QBO throttled us anyway."""
        with self._condition:
            until = time.monotonic() + seconds / self.limits.time_scale
            self._held_until = max(self._held_until, until)


_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(realm_id: str, limits: Limits | None = None) -> RateLimiter:
    """The process-wide limiter of ``realm_id``; ``limits``, when given, replace its limits."""
    with _registry_lock:
        limiter = _registry.get(realm_id)
        if limiter is None:
            limiter = _registry[realm_id] = RateLimiter(limits)
            return limiter
    if limits is not None:
        limiter.reconfigure(limits)
    return limiter
