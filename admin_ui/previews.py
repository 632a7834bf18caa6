"""What the wizard shows while the admin types: a cron schedule in words with its next runs,
and the problems of a JSON editor's text. Used by the server-side page and its JSON endpoints,
so the page without JavaScript says exactly what the script says as you type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from admin_ui.forms import read_json
from core import cron
from core.config import FieldError, validate

NEXT_RUNS = 3


@dataclass(frozen=True)
class CronPreview:
    """A schedule in words and its next fire times, or why it is refused."""

    ok: bool
    description: str = ""
    next_runs: tuple[str, ...] = ()
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "description": self.description,
            "next_runs": list(self.next_runs),
            "error": self.error,
        }


def cron_preview(
    expression: str, timezone: str = "UTC", *, after: datetime | None = None
) -> CronPreview:
    """``expression`` read out ("Every hour") with its next runs on the ``timezone`` clock."""
    try:
        description = cron.describe(expression)
        runs = cron.next_runs(expression, timezone, after=after, count=NEXT_RUNS)
    except cron.ScheduleError as exc:
        return CronPreview(False, error=exc.reason)
    return CronPreview(
        True, description, tuple(run.strftime("%a %Y-%m-%d %H:%M %Z") for run in runs)
    )


@dataclass(frozen=True)
class JsonCheck:
    """The problems of a JSON editor's text against its field's schema."""

    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "errors": [e.as_dict() for e in self.errors]}


def check_json(pointer: str, schema: Mapping[str, Any], text: str) -> JsonCheck:
    """Parse ``text`` and validate it against ``schema``; errors carry the field's pointer."""
    try:
        value = read_json(text)
    except ValueError as exc:
        return JsonCheck([FieldError(pointer, str(exc))])
    return JsonCheck([FieldError(pointer + e.pointer, e.message) for e in validate(schema, value)])
