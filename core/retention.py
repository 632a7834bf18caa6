"""Retention: finished runs and their log lines are kept for a while, then pruned.

A finished run is pruned when it is older than ``keep_days`` or when it is beyond the newest
``keep_per_job`` finished runs of its (installation, job), whichever removes it first. Queued
and running runs are never pruned. The embedded scheduler prunes once a day; ``integrations
runs prune`` does it on demand (and is what a distributed deployment schedules).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select

from core.services import Services
from core.store.models import Run, RunLog

CHUNK = 500


@dataclass(frozen=True)
class Pruned:
    """How much was deleted."""

    runs: int
    logs: int


def prune(
    services: Services,
    now: datetime,
    *,
    keep_days: int | None = None,
    keep_per_job: int | None = None,
) -> Pruned:
    """Delete finished runs older than ``keep_days`` or beyond the newest ``keep_per_job`` of
    their job, with their log lines (defaults from the settings)."""
    settings = services.settings.runs
    keep_days = settings.keep_days if keep_days is None else keep_days
    keep_per_job = settings.keep_per_job if keep_per_job is None else keep_per_job
    if keep_days < 1:
        raise ValueError(f"keep_days must be 1 or more, got {keep_days}")
    if keep_per_job < 1:
        raise ValueError(f"keep_per_job must be 1 or more, got {keep_per_job}")
    finished = Run.status.notin_(("queued", "running"))
    ranked = (
        select(
            Run.id,
            func.coalesce(Run.finished_at, Run.created_at).label("ended"),
            func.row_number()
            .over(partition_by=(Run.installation_id, Run.job_key), order_by=Run.id.desc())
            .label("newest"),
        )
        .where(finished)
        .subquery()
    )
    doomed = select(ranked.c.id).where(
        or_(ranked.c.ended < now - timedelta(days=keep_days), ranked.c.newest > keep_per_job)
    )
    with services.db.session() as session:
        ids = list(session.scalars(doomed))
    runs = logs = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with services.db.session() as session:
            logs += session.execute(delete(RunLog).where(RunLog.run_id.in_(chunk))).rowcount
            runs += session.execute(delete(Run).where(Run.id.in_(chunk))).rowcount
    return Pruned(runs=runs, logs=logs)
