"""The embedded scheduler: APScheduler ticks, the database decides what is due.

Each tick claims the schedules whose ``next_run_at`` has passed, inserts one run per slot (the
unique run row makes a slot fire once even with several schedulers), moves ``next_run_at`` past
now (missed slots coalesce into the one run), and hands the runs to a bounded thread pool.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from core.services import Services
from core.store.models import Schedule, utcnow

log = logging.getLogger(__name__)


class EmbeddedScheduler:
    """Fires due schedules into a thread pool, in the serving process."""

    def __init__(self, services: Services, *, workers: int = 4, tick_seconds: float = 15) -> None:
        self.services = services
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="run")
        self.clock = BackgroundScheduler(timezone="UTC")
        self.clock.add_job(
            self.tick, "interval", seconds=tick_seconds, id="tick", max_instances=1, coalesce=True
        )

    def start(self) -> None:
        self.clock.start()

    def stop(self) -> None:
        """Stop firing, then let running jobs finish."""
        self.clock.shutdown(wait=True)
        self.pool.shutdown(wait=True)

    def tick(self, now: datetime | None = None) -> list[int]:
        """Claim due slots and submit their runs; returns the ids of runs submitted."""
        now = now or utcnow()
        submitted = []
        for installation_id, job_key, slot in self._claim_due(now):
            run = self.services.runner.request(
                installation_id, job_key, trigger="schedule", scheduled_for=slot
            )
            if run is not None:
                self.pool.submit(self._execute, run.id)
                submitted.append(run.id)
        return submitted

    def _claim_due(self, now: datetime) -> list[tuple[int, str, datetime]]:
        book = self.services.schedules
        with self.services.db.session() as session:
            due = session.scalars(
                select(Schedule)
                .where(Schedule.next_run_at <= now, Schedule.paused_reason.is_(None))
                .with_for_update(skip_locked=True)
            ).all()
            claimed = []
            for schedule in due:
                claimed.append((schedule.installation_id, schedule.job_key, schedule.next_run_at))
                schedule.next_run_at = book.next_after(schedule, now)
            return claimed

    def _execute(self, run_id: int) -> None:
        try:
            self.services.runner.execute(run_id)
        except Exception:
            log.exception("run %s could not be executed", run_id)
