"""Leases: how a running run proves its worker is alive, and how it learns to stop.

A worker that claims a run writes its name (``lease_owner``) and a deadline
(``lease_expires_at``) on the row. While the job runs, a :class:`Heartbeat` thread pushes the
deadline forward; a worker that dies (killed, machine lost) stops pushing, and the sweeper
(``Runner.sweep``) finds the expired lease, marks the run interrupted and asks for a retry.
Every write of the worker names its lease, so a worker that was given up for dead cannot
overwrite what the sweeper decided.

The heartbeat also enforces the job's time limit cooperatively: past the limit it asks the run
to stop (the job sees it at its next ``check_cancelled``), and past the limit plus one lease it
stops renewing, so a job that ignores the request is ended by the sweeper like a dead worker.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from sqlalchemy import update

from core.store.database import Database
from core.store.models import Run, utcnow

log = logging.getLogger(__name__)

SHUTDOWN = "shutdown"
"""The cancel reason of runs asked to stop because their process is shutting down."""


def owner_id() -> str:
    """This worker thread's name on a lease: host, process and thread, unique while it lives."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def time_limit_reason(seconds: int) -> str:
    return f"time limit of {seconds} s exceeded"


def stop_outcome(reason: str | None) -> tuple[str, str | None]:
    """The status and error a run ends with when its job stopped because of ``reason``."""
    if reason == SHUTDOWN:
        return "interrupted", "stopped at a safe point for shutdown; retried at next start"
    if reason is not None and reason.startswith("time limit of "):
        return "failed", reason
    return "cancelled", reason


def renew(db: Database, run_id: int, owner: str, until: datetime) -> bool:
    """Push the lease of ``run_id`` to ``until``; False when ``owner`` no longer holds it."""
    with db.session() as session:
        result = session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == "running", Run.lease_owner == owner)
            .values(lease_expires_at=until)
        )
        return result.rowcount == 1


def request_stop(db: Database, run_id: int, reason: str) -> bool:
    """Ask a running run to stop at its next check, unless it was already asked."""
    with db.session() as session:
        result = session.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == "running", Run.cancel_requested.is_(False))
            .values(cancel_requested=True, cancel_reason=reason)
        )
        return result.rowcount == 1


class Heartbeat:
    """A thread that renews one run's lease until the run ends, and enforces its time limit."""

    def __init__(
        self,
        db: Database,
        run_id: int,
        owner: str,
        *,
        lease_seconds: float,
        started_at: datetime,
        time_limit_seconds: int,
    ) -> None:
        self.db, self.run_id, self.owner = db, run_id, owner
        self.lease = timedelta(seconds=lease_seconds)
        self.interval = lease_seconds / 3
        self.limit_at = started_at + timedelta(seconds=time_limit_seconds)
        self.time_limit_seconds = time_limit_seconds
        self.lost = threading.Event()  # the sweeper (or a shutdown) took the run from us
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{run_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def renew(self) -> bool:
        """Renew now (progress reports call this too); records a lost lease."""
        if self.lost.is_set() or utcnow() >= self.limit_at + self.lease:
            return False
        if not renew(self.db, self.run_id, self.owner, utcnow() + self.lease):
            self.lost.set()
            return False
        return True

    def _loop(self) -> None:
        while not self._stopped.wait(self.interval):
            try:
                if utcnow() >= self.limit_at:
                    request_stop(self.db, self.run_id, time_limit_reason(self.time_limit_seconds))
                if utcnow() >= self.limit_at + self.lease:
                    # The job ignored the request: let the lease run out so the sweeper ends it.
                    return
                if not self.renew():
                    return
            except Exception:
                # A database hiccup must not kill the heartbeat: the next beat tries again,
                # and the lease is three beats long.
                log.exception("heartbeat of run %s failed", self.run_id)
