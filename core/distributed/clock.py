"""The scheduler's clock: the system's, or one read from a file for rehearsals and tests.

With ``--clock-file`` the time is whatever the file says (ISO 8601 with an offset), read on
every tick, so whoever writes the file drives the schedule: an hour of cron slots can be walked
through in a minute, slot by slot, with every part real (the same firing code, database, broker
and workers). Several scheduler processes given the same file agree on the time, as they do on
the system clock. Leases never use this clock: they measure real time between real processes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

Clock = Callable[[], datetime]


class ClockFileError(ValueError):
    """The clock file cannot be read as a time."""


def file_clock(path: Path) -> Clock:
    """A clock that reads the current time from ``path`` each time it is asked."""

    def now() -> datetime:
        try:
            text = path.read_text().strip()
        except OSError as exc:
            raise ClockFileError(f"clock file {path}: cannot be read: {exc.strerror}") from exc
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ClockFileError(f"clock file {path}: {text!r} is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise ClockFileError(f"clock file {path}: {text!r} needs a time zone offset")
        return moment

    return now
