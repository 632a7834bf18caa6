"""How long to wait before retrying a request QBO could not answer.

Exponential backoff with full jitter (a random wait between zero and the exponential cap) spreads
the retries of many jobs hitting the same failure, so they do not come back in step. When QBO
says how long to wait (``Retry-After``), that wins: it knows its own window.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class Backoff:
    """Waits of ``uniform(0, min(cap, base * 2**attempt))`` seconds; attempt counts from 0."""

    base: float = 1.0
    cap: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        if retry_after is not None:
            return min(retry_after, self.cap)
        return random.uniform(0.0, min(self.cap, self.base * 2**attempt))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
