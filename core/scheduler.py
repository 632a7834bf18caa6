"""The embedded scheduler: APScheduler ticks, the database decides what is due.

Each tick sweeps runs whose worker died (their retries and anything left waiting are handed to
the executor), then fires the due schedule slots (``core.firing``) and hands their runs to the
executor: the bounded thread pool of the serving process. Once a day it prunes old runs.
Several schedulers may tick the same database; every slot still fires once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from core import retention
from core.executor import PoolExecutor
from core.firing import fire_due
from core.services import Services
from core.store.models import utcnow

log = logging.getLogger(__name__)


class EmbeddedScheduler:
    """Fires due schedules into the services' executor, in the serving process."""

    def __init__(
        self,
        services: Services,
        *,
        tick_seconds: float = 15,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.services = services
        self.clock = clock
        self.timer = BackgroundScheduler(timezone="UTC")
        self.timer.add_job(
            self.tick, "interval", seconds=tick_seconds, id="tick", max_instances=1, coalesce=True
        )
        self.timer.add_job(
            self.prune,
            "interval",
            days=1,
            id="prune",
            max_instances=1,
            coalesce=True,
            next_run_time=utcnow() + timedelta(minutes=5),
        )

    def start(self) -> None:
        """Hand over the runs the last stop left queued, then start ticking."""
        for run_id in self.services.runner.waiting():
            self.services.executor.submit(run_id)
        self.timer.start()

    def tick(self, now: datetime | None = None) -> list[int]:
        """Sweep, then fire the slots due at ``now`` (default: the scheduler's clock); returns
        the ids of the runs fired by this tick.

        Leases are always judged by the real clock: they are written by workers that know no
        other, so a fast or fake schedule clock must not make live runs look dead.
        """
        now = now or self.clock()
        executor = self.services.executor
        for run_id in self.services.runner.sweep(utcnow()):
            executor.submit(run_id)
        fired = fire_due(self.services, now)
        for run_id in fired:
            executor.submit(run_id)
        return fired

    def prune(self) -> retention.Pruned:
        """Delete old finished runs and their logs (``INTEGRATIONS_RUNS_KEEP_*``)."""
        pruned = retention.prune(self.services, self.clock())
        log.info("pruned %d runs and %d log lines", pruned.runs, pruned.logs)
        return pruned

    def stop(self, timeout: float = 30) -> list[int]:
        """Stop firing, ask running jobs to stop at a safe point, wait up to ``timeout``
        seconds, and mark what still runs interrupted; returns the ids interrupted."""
        if self.timer.running:
            self.timer.shutdown(wait=True)
        executor = self.services.executor
        if isinstance(executor, PoolExecutor):
            return executor.shutdown(timeout)
        return []
