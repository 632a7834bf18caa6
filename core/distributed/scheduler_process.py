"""``integrations scheduler``: fires due slots and retries interrupted runs into Celery.

Every tick claims the due schedule slots (``core.firing``), whose run rows the database makes
unique, and sweeps runs whose lease expired because their worker died; the ids of the runs that
result go to the workers. Any number of these processes may run: the database hands each slot and
each expired lease to exactly one of them, so a second process is redundancy, not duplication.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.blocking import BlockingScheduler

from core.distributed.celery_app import require_broker
from core.distributed.clock import Clock, file_clock
from core.executor import RunExecutor
from core.firing import fire_due
from core.services import Services
from core.store.models import utcnow

log = logging.getLogger(__name__)


class SchedulerProcess:
    """One scheduler process: a blocking APScheduler loop around :meth:`tick`."""

    def __init__(
        self,
        services: Services,
        executor: RunExecutor,
        *,
        tick_seconds: float = 5,
        clock: Clock = utcnow,
    ) -> None:
        if tick_seconds <= 0:
            raise ValueError(f"tick: must be a positive number of seconds, got {tick_seconds}")
        self.services = services
        self.executor = executor
        self.clock = clock
        self.tick_seconds = tick_seconds
        self._sent: dict[int, tuple[datetime, int]] = {}  # run id: last sent, times sent
        self._resend_after = timedelta(seconds=services.runner.lease_seconds)
        self.loop = BlockingScheduler(timezone="UTC")
        self.loop.add_job(
            self.tick,
            "interval",
            seconds=tick_seconds,
            id="tick",
            max_instances=1,
            coalesce=True,
            next_run_time=utcnow(),
        )

    def tick(self, now: datetime | None = None) -> list[int]:
        """Fire due slots by the scheduler's clock, then sweep at the real time ``now`` (leases
        are written by workers in real time); returns the ids of the runs submitted."""
        fired = fire_due(self.services, self.clock())
        now = now or utcnow()
        swept = self._to_send(self.services.runner.sweep(now), now)
        for run_id in [*fired, *swept]:
            self.executor.submit(run_id)
        if fired or swept:
            log.info("submitted %d scheduled and %d swept runs", len(fired), len(swept))
        return [*fired, *swept]

    def _to_send(self, swept: list[int], now: datetime) -> list[int]:
        """The swept runs to send now. The sweep returns every run still waiting, on every
        tick; it may be waiting in the broker's queue behind others, where each copy sent would
        wait too. So a run is sent again after one lease, then after two more, four more...: a
        lost message is recovered, a long queue is not flooded."""
        waiting = set(swept)
        self._sent = {run_id: sent for run_id, sent in self._sent.items() if run_id in waiting}
        due = []
        for run_id in swept:
            last, times = self._sent.get(run_id, (None, 0))
            if last is None or now - last >= self._resend_after * 2 ** (times - 1):
                self._sent[run_id] = (now, times + 1)
                due.append(run_id)
        return due

    def run(self) -> None:
        """Tick until SIGTERM or Ctrl-C; a tick in progress completes before the process ends."""
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda signum, frame: self.loop.shutdown(wait=False))
        log.info("scheduler ticking every %g s", self.tick_seconds)
        try:
            self.loop.start()
        except KeyboardInterrupt:
            self.loop.shutdown(wait=True)


def run_scheduler(services: Services, *, tick_seconds: float, clock_file: Path | None) -> None:
    """Run one scheduler process; its runs go to the services' executor, Celery's when the
    settings name a broker (``core.services.build``)."""
    require_broker(services.settings)
    clock = file_clock(clock_file) if clock_file else utcnow
    clock()  # an unreadable clock file stops the start with its reason, not every tick
    SchedulerProcess(services, services.executor, tick_seconds=tick_seconds, clock=clock).run()
