"""Schedules derived from configuration: which jobs run, on which cron, when next.

A configuration save rewrites its installation's schedules at once (no restart): a job whose
toggle is off loses its schedule, a paused installation keeps its schedules with the reason and
no next run. Jobs left on the default hourly schedule are spread across a window by a stable
per-installation offset, so a thousand installations do not all fire at minute 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core import cron, jsonpointer
from core.plugins import Connector
from core.store.models import Installation, Schedule, utcnow


class ScheduleBook:
    """Keeps the ``schedules`` table in step with configurations and pauses."""

    def __init__(self, spread_window_seconds: int = 900) -> None:
        self.spread_window_seconds = spread_window_seconds

    def sync(
        self,
        session: Session,
        installation: Installation,
        connector: Connector,
        config: Mapping[str, Any],
        *,
        now: datetime | None = None,
    ) -> list[Schedule]:
        """Rewrite the installation's schedules from its (full) configuration."""
        now = now or utcnow()
        wanted = {}
        for job in connector.jobs.values():
            if job.schedule_field is None:
                continue
            enabled = jsonpointer.get(config, job.toggle_field, True) if job.toggle_field else True
            if not enabled:
                continue
            expression = cron.validate(_schedule_of(connector, config, job.schedule_field))
            timezone = (
                jsonpointer.get(config, job.timezone_field, "UTC") if job.timezone_field else "UTC"
            )
            wanted[job.key] = (expression, timezone or "UTC")
        existing = {
            s.job_key: s
            for s in session.scalars(
                select(Schedule).where(Schedule.installation_id == installation.id)
            )
        }
        for key, schedule in existing.items():
            if key not in wanted:
                session.delete(schedule)
        result = []
        for key, (expression, timezone) in wanted.items():
            schedule = existing.get(key) or Schedule(installation_id=installation.id, job_key=key)
            if schedule.id is None:
                session.add(schedule)
            schedule.cron = expression
            schedule.timezone = timezone
            schedule.offset_seconds = (
                cron.spread_offset(f"{installation.id}:{key}", self.spread_window_seconds)
                if expression == cron.DEFAULT_SCHEDULE
                else 0
            )
            schedule.paused_reason = (
                installation.paused_reason if installation.status == "paused" else None
            )
            schedule.next_run_at = (
                None if schedule.paused_reason else self.next_after(schedule, now)
            )
            result.append(schedule)
        session.flush()
        return result

    def next_after(self, schedule: Schedule, after: datetime) -> datetime:
        """The first fire time of ``schedule`` strictly after ``after`` (UTC)."""
        return cron.next_fire_time(
            schedule.cron, schedule.timezone, after, offset_seconds=schedule.offset_seconds
        )

    def pause(self, session: Session, installation: Installation, reason: str) -> None:
        """Pause every job of the installation, with the reason the admin will read."""
        installation.status = "paused"
        installation.paused_reason = reason
        for schedule in self._of(session, installation):
            schedule.paused_reason = reason
            schedule.next_run_at = None

    def resume(self, session: Session, installation: Installation, *, now: datetime | None = None):
        """Resume the installation's jobs from the next slot (missed slots are not replayed)."""
        installation.status = "active"
        installation.paused_reason = None
        for schedule in self._of(session, installation):
            schedule.paused_reason = None
            schedule.next_run_at = self.next_after(schedule, now or utcnow())

    def remove_all(self, session: Session, installation_id: int) -> None:
        session.execute(delete(Schedule).where(Schedule.installation_id == installation_id))

    def _of(self, session: Session, installation: Installation) -> list[Schedule]:
        return list(
            session.scalars(select(Schedule).where(Schedule.installation_id == installation.id))
        )


def _schedule_of(connector: Connector, config: Mapping[str, Any], pointer: str) -> str:
    """The job's cron expression; a field left out falls back to its default, then hourly."""
    value = jsonpointer.get(config, pointer)
    if value in (None, ""):
        field = jsonpointer.resolve_schema_pointer(connector.config_schema, pointer) or {}
        value = field.get("default") or cron.DEFAULT_SCHEDULE
    return value
