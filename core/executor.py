"""Where a requested run is executed: the seam between "a run row exists" and "it runs".

Every trigger (schedule, *Run now*, an action, a platform event) first inserts the run row with
``Runner.request`` and then hands its id to the services' executor. The embedded default runs it
in a bounded pool of worker threads of the serving process (:class:`PoolExecutor`); the
distributed mode sends the id (never configuration or secrets) to a Celery queue.
``InlineExecutor`` runs it at once, in the caller's thread, for the CLI and tests.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import TYPE_CHECKING, Protocol

from core.leases import SHUTDOWN, request_stop

if TYPE_CHECKING:
    from core.runner import Runner

log = logging.getLogger(__name__)


class RunExecutor(Protocol):
    def submit(self, run_id: int) -> None:
        """Arrange for the queued run ``run_id`` to be executed; returns without waiting."""


class InlineExecutor:
    """Executes a run immediately in the calling thread."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    def submit(self, run_id: int) -> None:
        self.runner.execute(run_id)


class PoolExecutor:
    """Executes runs on a fixed number of worker threads of this process.

    Daemon threads rather than ``concurrent.futures.ThreadPoolExecutor``: its workers are joined
    when the interpreter exits, so one job that ignores the request to stop would keep a stopped
    server from ever exiting. Here :meth:`shutdown` bounds the wait and settles the runs itself.
    A run id submitted while it is still waiting or executing here is not queued twice.
    """

    def __init__(self, runner: Runner, workers: int = 4) -> None:
        if workers < 1:
            raise ValueError(f"workers must be 1 or more, got {workers}")
        self.runner = runner
        self._queue: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._pending: set[int] = set()  # submitted and not yet done
        self._active: set[int] = set()  # executing now
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"run-worker-{n}", daemon=True)
            for n in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, run_id: int) -> None:
        """Queue the run for a worker; ignored once shutting down (the row stays queued and the
        next start picks it up)."""
        with self._lock:
            if self._closed or run_id in self._pending:
                return
            self._pending.add(run_id)
        self._queue.put(run_id)

    def active(self) -> set[int]:
        """Ids of the runs executing now."""
        with self._lock:
            return set(self._active)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or executing here; False when ``timeout`` passed first."""
        with self._done:
            return self._done.wait_for(lambda: not self._pending, timeout)

    def shutdown(self, timeout: float) -> list[int]:
        """Stop taking runs, ask the running ones to stop at a safe point, wait up to
        ``timeout`` seconds, then mark what still runs interrupted (its retry is requested).

        Returns the ids of the runs that had to be interrupted. Runs that never started stay
        queued. No row is left "running" by this process.
        """
        with self._lock:
            self._closed = True
            running = set(self._active)
        for _ in self._threads:
            self._queue.put(None)
        for run_id in running:
            request_stop(self.runner.db, run_id, SHUTDOWN)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = sorted(self.active())
        for run_id in stuck:
            self.runner.interrupt(
                run_id, f"still running {timeout:g} s after shutdown began; retried at next start"
            )
        return stuck

    def _work(self) -> None:
        while True:
            run_id = self._queue.get()
            if run_id is None:
                return
            with self._lock:
                if self._closed:
                    self._pending.discard(run_id)
                    self._done.notify_all()
                    continue
                self._active.add(run_id)
            try:
                self.runner.execute(run_id)
            except Exception:
                log.exception("run %s could not be executed", run_id)
            finally:
                with self._lock:
                    self._active.discard(run_id)
                    self._pending.discard(run_id)
                    self._done.notify_all()
