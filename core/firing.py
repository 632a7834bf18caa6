"""Firing: turn due schedule slots into run rows, exactly once however many schedulers tick.

The embedded scheduler and the distributed scheduler processes both call :func:`fire_due` with
their clock's ``now``; it only writes rows and returns the new runs' ids, and the caller hands
them to its executor (a thread pool, or a Celery queue).

A slot is claimed by moving its schedule's ``next_run_at`` from the slot to the next fire time
with a conditional update (``WHERE next_run_at = <slot>``): of several schedulers that read the
same due schedule, exactly one update matches, and its run row is inserted in the same
transaction. The run row's unique (installation, job, trigger, scheduled_for) is the second
guard. **Misfires coalesce**: after downtime a schedule's next fire time is computed from now,
not from the missed slot, so all missed slots become one run (scheduled for the first of them).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import cron
from core.services import Services
from core.store.models import Run, Schedule

log = logging.getLogger(__name__)

SCHEDULES = Schedule.__table__  # plain Core statements: no ORM bookkeeping per schedule

BATCH = 500
"""Schedules claimed per transaction: short transactions, so schedulers and workers interleave."""


def fire_due(services: Services, now: datetime, *, batch: int = BATCH) -> list[int]:
    """Request one run for every schedule due at ``now``; returns the new runs' ids (queued,
    not yet handed to an executor). Schedules that never had a next fire time get one."""
    planner = _Planner(now)
    plan_unplanned(services, now, batch=batch, planner=planner)
    fired: list[int] = []
    while True:
        with services.db.session() as session:
            due = _due(session, now, batch)
            fired.extend(_claim(session, due, planner, services.db.is_sqlite))
        if len(due) < batch:
            return fired


def plan_unplanned(
    services: Services, now: datetime, *, batch: int = BATCH, planner: _Planner | None = None
) -> int:
    """Give active schedules without a next fire time (bulk-loaded, or written by an older
    version) their first fire time after ``now``; returns how many were planned."""
    planner = planner or _Planner(now)
    planned = 0
    while True:
        with services.db.session() as session:
            rows = session.execute(
                select(Schedule.id, Schedule.cron, Schedule.timezone, Schedule.offset_seconds)
                .where(Schedule.next_run_at.is_(None), Schedule.paused_reason.is_(None))
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
            # Any scheduler planning a schedule computes the same time, so one statement for
            # the whole batch (executemany) is safe, and fast for a bulk-loaded database.
            valid = [(row.id, planner.next(row)) for row in rows]
            plans = [{"sid": sid, "at": v["next_run_at"]} for sid, v in valid if v["next_run_at"]]
            if plans:
                session.execute(
                    update(SCHEDULES)
                    .where(SCHEDULES.c.id == bindparam("sid"), SCHEDULES.c.next_run_at.is_(None))
                    .values(next_run_at=bindparam("at")),
                    plans,
                )
            for sid, values in valid:
                if values["next_run_at"] is None:
                    session.execute(update(SCHEDULES).where(SCHEDULES.c.id == sid).values(**values))
            planned += len(rows)
        if len(rows) < batch:
            return planned


def _due(session: Session, now: datetime, batch: int) -> list[Row[Any]]:
    return list(
        session.execute(
            select(
                Schedule.id,
                Schedule.installation_id,
                Schedule.job_key,
                Schedule.cron,
                Schedule.timezone,
                Schedule.offset_seconds,
                Schedule.next_run_at,
            )
            .where(Schedule.next_run_at <= now, Schedule.paused_reason.is_(None))
            .order_by(Schedule.next_run_at)
            .limit(batch)
            # PostgreSQL: concurrent schedulers take different schedules instead of waiting.
            .with_for_update(skip_locked=True)
        ).all()
    )


def _claim(session: Session, due: list[Row[Any]], planner: _Planner, is_sqlite: bool) -> list[int]:
    claimed = []
    for row in due:
        moved = session.execute(
            update(SCHEDULES)
            .where(SCHEDULES.c.id == row.id, SCHEDULES.c.next_run_at == row.next_run_at)
            .values(**planner.next(row))
        )
        if moved.rowcount == 1:  # the slot was planned while valid: it still fires
            claimed.append(
                {
                    "installation_id": row.installation_id,
                    "job_key": row.job_key,
                    "trigger": "schedule",
                    "scheduled_for": row.next_run_at,
                }
            )
    if not claimed:
        return []
    insert = sqlite.insert if is_sqlite else postgresql.insert
    statement = insert(Run).on_conflict_do_nothing().returning(Run.id)
    return list(session.scalars(statement, claimed))


class _Planner:
    """Next fire times after one ``now``, each (cron, zone, offset) computed once: thousands of
    installations share a few schedules and a few hundred spread offsets."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._known: dict[tuple[str, str, int], dict[str, Any]] = {}

    def next(self, row: Row[Any]) -> dict[str, Any]:
        """The column values that plan ``row``'s next fire; a schedule that cannot be computed
        (its expression or zone became invalid) is paused with the reason, not retried forever."""
        key = (row.cron, row.timezone, row.offset_seconds)
        if key not in self._known:
            try:
                at = cron.next_fire_time(row.cron, row.timezone, self.now, row.offset_seconds)
                self._known[key] = {"next_run_at": at}
            except cron.ScheduleError as exc:
                self._known[key] = {
                    "next_run_at": None,
                    "paused_reason": f"schedule cannot run: {exc}",
                }
        values = self._known[key]
        if "paused_reason" in values:
            log.warning("schedule %s paused: %s", row.id, values["paused_reason"])
        return values
