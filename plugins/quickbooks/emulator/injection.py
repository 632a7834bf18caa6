"""Faults a test asks for ahead of time, served to the next matching API requests.

Clients must survive 500s, 503s, throttling and hung requests; the real service produces them
only at random, so tests plan them here through the control API.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Literal

InjectedKind = Literal["http_500", "http_500_after_write", "http_503", "throttle", "timeout"]
INJECTED_KINDS: tuple[InjectedKind, ...] = (
    "http_500",
    "http_500_after_write",
    "http_503",
    "throttle",
    "timeout",
)


@dataclass
class PlannedFault:
    """``remaining`` more requests (of ``realm_id``, or of any realm when None) get ``kind``."""

    kind: InjectedKind
    remaining: int
    realm_id: str | None = None
    seconds: float = 5.0

    def as_json(self) -> dict:
        """The control API's view of the plan."""
        body = asdict(self)
        body["realmId"] = body.pop("realm_id")
        return body


class FaultInjector:
    """First-in first-out plans; a realm's own plans are served before global ones."""

    def __init__(self) -> None:
        self._plans: list[PlannedFault] = []
        self._lock = threading.Lock()

    def add(self, plan: PlannedFault) -> None:
        """Queue a plan behind the ones already waiting."""
        with self._lock:
            self._plans.append(plan)

    def take(self, realm_id: str) -> PlannedFault | None:
        """The fault the request to ``realm_id`` must get, if any; uses up one of its count."""
        if not self._plans:  # the common case, checked without the lock on the hot path
            return None
        with self._lock:
            plan = next((p for p in self._plans if p.realm_id == realm_id), None)
            plan = plan or next((p for p in self._plans if p.realm_id is None), None)
            if plan is None:
                return None
            plan.remaining -= 1
            if plan.remaining <= 0:
                self._plans.remove(plan)
            return plan

    def pending(self) -> list[PlannedFault]:
        """The plans still waiting, in serving order."""
        with self._lock:
            return [PlannedFault(**asdict(p)) for p in self._plans]

    def clear(self) -> None:
        """Drop every waiting plan."""
        with self._lock:
            self._plans.clear()
