"""Where a requested run is executed: the seam between "a run row exists" and "it runs".

Every trigger (schedule, *Run now*, an action, a platform event) first inserts the run row with
``Runner.request`` and then hands its id to the services' executor. The embedded default runs it
in a bounded thread pool of the serving process; the distributed mode sends the id (never
configuration or secrets) to a Celery queue. ``InlineExecutor`` runs it at once, in the caller's
thread, for the CLI and tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from core.runner import Runner


class RunExecutor(Protocol):
    def submit(self, run_id: int) -> None:
        """Arrange for the queued run ``run_id`` to be executed; returns without waiting."""


class InlineExecutor:
    """Executes a run immediately in the calling thread."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    def submit(self, run_id: int) -> None:
        self.runner.execute(run_id)
